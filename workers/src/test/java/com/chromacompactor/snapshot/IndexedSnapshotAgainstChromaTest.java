package com.chromacompactor.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.ChromaPython;
import com.chromacompactor.testing.Scenario;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine scenario's deltas compacted by the indexed route, opened by real chromadb: it must
 * answer exactly as the oracle (a PersistentClient that upserted every delta in order), without
 * building anything on open, and later writes through Chroma must survive a reopen.
 */
class IndexedSnapshotAgainstChromaTest {
  private static Scenario scenario;
  private static Path snapshot;
  private static CompactionSummary summary;
  private static JsonNode actual;

  @BeforeAll
  static void build() throws Exception {
    scenario = Scenario.get();
    snapshot = scenario.root.resolve("indexed");
    summary =
        new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(2))
            .run(scenario.deltas, snapshot);
    Path opened = scenario.root.resolve("indexed-opened");
    Scenario.copyTree(snapshot, opened);
    ChromaPython.runScript(
        "index_fixtures.py", "inspect", scenario.root.resolve("indexed.json"), opened);
    actual = new ObjectMapper().readTree(scenario.root.resolve("indexed.json").toFile());
  }

  @Test
  void noQueueNoMaxSeqIdAndAnIndexPerCollection() {
    JsonNode before = actual.path("before");
    JsonNode after = actual.path("after");
    JsonNode collections = actual.path("collections");
    assertEquals(ChromaDumps.names(collections), ChromaDumps.names(before));
    for (String name : ChromaDumps.names(collections)) {
      int count = collections.path(name).path("count").asInt();
      assertEquals(0, before.path(name).path("queueRows").asInt(), name + " queue before open");
      assertEquals(
          0,
          after.path(name).path("queueRows").asInt(),
          name + " queue after get and query: " + after);
      for (String scope : List.of("METADATA", "VECTOR")) {
        assertTrue(
            before.path(name).path("maxSeqId").path(scope).isNull(), name + " max_seq_id " + scope);
        assertTrue(
            after.path(name).path("maxSeqId").path(scope).isNull(),
            name + " max_seq_id after " + scope);
      }
      assertEquals(count, before.path(name).path("hnswElements").asInt(), name + " index elements");
      assertEquals(
          count, after.path(name).path("hnswElements").asInt(), name + " index untouched by reads");
    }
  }

  @Test
  void sameCollectionsCountsAndGetAsTheOracle() {
    ChromaDumps.assertSameRecords(scenario.oracle, actual);
    assertEquals(
        scenario.oracle.path("counts").path("recordsWritten").asLong(), summary.recordsWritten());
  }

  /**
   * Both indexes are approximate, so the top 10 may differ where HNSW misses a neighbour (in the ip
   * collection, whose vectors are not normalised, a large-norm record can lose every in-link to the
   * heuristic, in Chroma's graphs as in ours, depending on insertion order): at least 95% of the
   * oracle's top-10 neighbours must be ours too (an id, or a tied one at its distance), and an id
   * both return must be at the same float32 distance (the stored vectors are the same). The same
   * check as the workflow tests make of every published snapshot.
   */
  @Test
  void sameQueryTop10AsTheOracle() {
    ChromaDumps.assertSameRecordsAndNeighbours(scenario.oracle, actual);
    for (String name : ChromaDumps.names(scenario.oracle.path("collections"))) {
      assertEquals(
          12,
          scenario.oracle.path("collections").path(name).path("queries").size(),
          name + ": queries");
    }
  }

  @Test
  void laterWritesThroughChromaPersistAfterReopen() throws Exception {
    Path copy = scenario.root.resolve("indexed-writes");
    Scenario.copyTree(snapshot, copy);
    ChromaPython.runScript("index_fixtures.py", "writes", copy, "apply");
    ChromaPython.runScript("index_fixtures.py", "writes", copy, "check");
    assertTrue(Files.exists(Path.of(copy + ".expected.json")));
  }
}
