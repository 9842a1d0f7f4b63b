package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.ChromaPython;
import com.chromacompactor.testing.Scenario;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delta with good records in one collection and bad ones in another is planned into two chunks, one per collection.
 * The chunk of the bad collection quarantines it; the other chunk merged it. The published snapshot must still hold
 * nothing of it, in either collection: it equals the chromadb oracle of the other deltas.
 */
class WholeDeltaQuarantineTest {
  private static final String BAD = "deltas/00-base-bad-words/";
  @TempDir Path tmp;

  @Test
  void aDeltaRefusedInOneCollectionLeavesNothingInAnyCollectionInParallelMode() throws Exception {
    assertWholeDeltaLeftOut(Long.MAX_VALUE, CompactionMode.PARALLEL);
  }

  @Test
  void aDeltaRefusedInOneCollectionLeavesNothingInAnyCollectionInSequentialMode() throws Exception {
    assertWholeDeltaLeftOut(0, CompactionMode.SEQUENTIAL);
  }

  private void assertWholeDeltaLeftOut(long parallelModeMax, CompactionMode expectedMode) throws Exception {
    Scenario s = Scenario.get();
    // 00-base holds words (queue vectors) and lines; here its words vectors have one float instead of 1536, its
    // lines stay good. 02-lines-tombstones overwrites l0100..l0149 and deletes l0000, l0001; l0002..l0099 are the bad
    // delta's alone, so any of its lines in the snapshot shows.
    Path bad = tmp.resolve("00-base-bad-words");
    Scenario.copyTree(s.delta("00-base"), bad);
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + bad.resolve("chroma.sqlite3"));
        Statement st = db.createStatement()) {
      assertTrue(st.executeUpdate("UPDATE embeddings_queue SET vector = X'0000803F'"
          + " WHERE id LIKE 'w%' AND vector IS NOT NULL") > 200, "the words vectors are made one float long");
    }
    List<Path> good = List.of(s.delta("01-big"), s.delta("02-lines-tombstones"));
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    assertEquals(3, LocalRun.importDeltas(bucket, List.of(bad, good.get(0), good.get(1))));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    LocalRun.Result r = new LocalRun(bucket, new LocalRun.Settings(
        ChunkSizes.defaults(), parallelModeMax, "quarantine"),
        Files.createDirectories(tmp.resolve("scratch")), new PrintStream(log, true, StandardCharsets.UTF_8))
        .run("whole-delta");
    String steps = log.toString(StandardCharsets.UTF_8);
    assertEquals(expectedMode, r.mode());

    // Quarantined with its reason, by the chunk that found it; the DONE marker is the quarantine's, not Cleanup's.
    ObjectMapper json = new ObjectMapper();
    JsonNode reason = json.readTree(bucket.get(Quarantine.key(r.plan().batchId(), BAD)).orElseThrow().body());
    assertEquals("WRONG_DIMENSION", reason.path("problem").asText(), reason.toString());
    assertEquals("CompactChunk", reason.path("step").asText());
    JsonNode done = json.readTree(bucket.get(BatchStore.processedMarker(BAD)).orElseThrow().body());
    assertEquals(BAD, done.path("deltaKey").asText(), "marked by the quarantine, not as consumed by Cleanup: " + done);

    // The snapshot: nothing of the bad delta, in either collection.
    Path snapshot = bucket.root().resolve(r.merge().snapshotPrefix());
    OutputManifest manifest = OutputManifest.parse(Files.readAllBytes(snapshot.resolve(OutputManifest.FILE)));
    assertEquals(List.of("deltas/01-big/", "deltas/02-lines-tombstones/"),
        manifest.deltaKeys().stream().sorted().toList());
    assertEquals(List.of(BAD), manifest.quarantinedOrNone());
    Path oracle = tmp.resolve("oracle.json");
    ChromaPython.run("oracle", oracle, good);
    JsonNode expected = json.readTree(oracle.toFile());
    Files.delete(snapshot.resolve(OutputManifest.FILE));
    JsonNode actual = ChromaDumps.dump(snapshot);
    assertFalse(actual.path("collections").path("lines").path("records").toString().contains("\"l0050\""),
        "a lines record only the quarantined delta wrote");
    ChromaDumps.assertSameRecordsAndNeighbours(expected, actual);

    // The counts agree: per collection as chromadb counts them, and in the run's tally.
    long oracleIds = 0;
    for (String name : ChromaDumps.names(expected.path("collections"))) {
      long count = expected.path("collections").path(name).path("count").asLong();
      assertEquals(count, manifest.records().get(name), name);
      oracleIds += count;
    }
    assertEquals(oracleIds, r.merge().embeddings());
    assertEquals(new LocalRun.Tally(2, 1, 0, 0, r.deltas().recordsRead(), oracleIds), r.deltas());
    assertTrue(bucket.listKeys("intermediate/").isEmpty(), "intermediates are deleted");
    assertTrue(steps.contains("FinalMerge: chunk "), "FinalMerge says which chunk it merged again:\n" + steps);
  }
}
