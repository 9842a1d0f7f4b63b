package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.Series;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A producer killed right after its marker landed runs its push again (the fault sweep's kill-after
 * at the marker's PUT): the retry finds its own commit and is done, while a different push under a
 * committed name is still refused.
 */
class DeltaPushRetryTest {
  @TempDir Path tmp;

  @Test
  void aPushRetriedAfterItsMarkerLandedIsDoneAndADifferentOneIsRefused() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = new LocalBlobStore(Files.createDirectories(tmp.resolve("bucket")));
    DeltaPush.Pushed first =
        DeltaPush.push(bucket, Lineage.NONE, series.delta(0), "d-1", 41, "producer");
    byte[] marker = bucket.get(first.key() + DeltaMarker.FILE).orElseThrow().body();

    DeltaPush.Pushed again =
        DeltaPush.push(bucket, Lineage.NONE, series.delta(0), "d-1", 41, "producer");
    assertEquals(first.key(), again.key());
    assertEquals(first.marker().files(), again.marker().files());
    assertArrayEquals(
        marker,
        bucket.get(first.key() + DeltaMarker.FILE).orElseThrow().body(),
        "the commit stands");

    IOException otherSequence =
        assertThrows(
            IOException.class,
            () -> DeltaPush.push(bucket, Lineage.NONE, series.delta(0), "d-1", 42, "producer"));
    assertTrue(
        otherSequence.getMessage().contains("is committed already"), otherSequence.getMessage());
    IOException otherFiles =
        assertThrows(
            IOException.class,
            () -> DeltaPush.push(bucket, Lineage.NONE, series.delta(1), "d-1", 41, "producer"));
    assertTrue(otherFiles.getMessage().contains("is committed already"), otherFiles.getMessage());
  }
}
