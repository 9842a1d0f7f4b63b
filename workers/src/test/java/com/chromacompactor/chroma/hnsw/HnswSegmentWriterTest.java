package com.chromacompactor.chroma.hnsw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.chromacompactor.hnsw.HnswBuilder;
import com.chromacompactor.hnsw.HnswParams;
import com.chromacompactor.hnsw.Metric;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files round-trip through the delta reader: header fields, labels, vectors as get() returns
 * them (cosine: normalised, times the norm), and the pickle's id map. Real chromadb reading them is
 * tested in snapshot.IndexedSnapshotAgainstChromaTest.
 */
class HnswSegmentWriterTest {

  @Test
  void roundTripThroughTheReader(@TempDir Path dir) throws Exception {
    int n = 300;
    int dim = 16;
    HnswParams params = new HnswParams(Metric.INNER_PRODUCT, dim, 8, 50, HnswParams.DEFAULT_SEED);
    Random r = new Random(3);
    float[][] v = new float[n][dim];
    Path folder = dir.resolve("seg");
    try (HnswSegmentWriter w = HnswSegmentWriter.create(folder, params, VectorForm.NORMALIZED, n)) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < dim; j++) {
          v[i][j] = (float) r.nextGaussian();
        }
        w.setElement(i, i + 1, v[i]);
      }
      new HnswBuilder(w.graph()).build(n, 2);
      w.finish();
    }
    IdLabelPickleWriter.write(
        folder.resolve(HnswSegmentFormat.PICKLE),
        n,
        visitor -> {
          for (int i = 0; i < n; i++) {
            visitor.accept("id-" + i + "-é", i + 1);
          }
        });
    HnswSegmentReader reader = HnswSegmentReader.open(folder, VectorForm.NORMALIZED);
    HnswHeader h = reader.header();
    assertEquals(n, h.elementCount());
    assertEquals(8, h.m());
    assertEquals(16, h.maxM0());
    assertEquals(50, h.efConstruction());
    assertEquals(1 / Math.log(8), h.mult(), 0);
    long linkBytes = Files.size(folder.resolve(HnswSegmentFormat.LINK_LISTS));
    assertEquals(0, (linkBytes - 4L * n) % (4 * (8 + 1)), "link lists are whole levels");
    float[] got = new float[dim];
    for (int i = 0; i < n; i++) {
      assertFalse(reader.isDeleted(i));
      assertEquals(i + 1, reader.label(i));
      reader.vectorInto(i, got);
      float[] expected = v[i].clone();
      CosineNormalization.roundTrip(expected);
      assertArrayEquals(expected, got);
    }
    // The same elements through a reader mapping the file in chunks of 7 elements (a million 1536-d
    // elements need several chunks of at most 2 GiB each): element by element the same.
    HnswSegmentReader chunked =
        HnswSegmentReader.open(folder, VectorForm.NORMALIZED, 7 * h.sizeDataPerElement() + 5);
    float[] whole = new float[dim];
    for (int i = 0; i < n; i++) {
      assertEquals(reader.label(i), chunked.label(i));
      assertEquals(reader.isDeleted(i), chunked.isDeleted(i));
      reader.vectorInto(i, whole);
      chunked.vectorInto(i, got);
      assertArrayEquals(whole, got, "element " + i);
    }
    IdLabelMap ids = IdLabelMap.read(folder.resolve(HnswSegmentFormat.PICKLE));
    assertEquals(n, ids.labelToId().size());
    assertEquals("id-7-é", ids.labelToId().get(8L));
    assertNull(ids.legacyMaxSeqId());
  }

  @Test
  void persistentDataPickleReadsBackAsTheSameMapWithItsSequenceNumber(@TempDir Path dir)
      throws Exception {
    Path pickle = dir.resolve(HnswSegmentFormat.PICKLE);
    IdLabelPickleWriter.write(
        pickle,
        IdMapForm.PERSISTENT_DATA,
        16,
        1,
        2500,
        visitor -> {
          for (int i = 0; i < 2500; i++) { // more than one 1,000-pair batch
            visitor.accept("id-" + i, i + 1);
          }
        });
    byte[] head = Files.readAllBytes(pickle);
    assertEquals(
        "chromadb.segment.impl.vector.local_persistent_hnsw\nPersistentData\n",
        new String(head, 3, 66, StandardCharsets.US_ASCII),
        "a GLOBAL of 0.x's class");
    IdLabelMap ids = IdLabelMap.read(pickle);
    assertEquals(2500, ids.labelToId().size());
    assertEquals("id-2499", ids.labelToId().get(2500L));
    assertEquals(1L, ids.legacyMaxSeqId());
  }
}
