package com.chromacompactor.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.Scenario;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our snapshot, opened by real chromadb, must answer exactly as a real PersistentClient that
 * upserted every delta's records in order (tombstones first): same get(), same query() top 10.
 */
class CompactionAgainstChromaTest {
  private static Scenario scenario;

  @BeforeAll
  static void build() {
    scenario = Scenario.get();
  }

  @Test
  void scenarioCoversTheCasesItClaims() {
    JsonNode c = scenario.coverage;
    JsonNode big = c.path("01-big").path("collections").path("words");
    assertTrue(
        big.path("hnswElements").asInt() >= 1000, "01-big must have vectors in HNSW files: " + big);
    assertTrue(
        big.path("queueVectors").asInt() > 0, "01-big must have vectors only in the queue: " + big);
    assertTrue(c.path("03-legacy-pickle").path("legacyPickle").asBoolean());
    assertTrue(
        c.path("03-legacy-pickle").path("collections").path("words").path("hnswElements").asInt()
            > 0);
    assertTrue(Files.exists(scenario.delta("02-lines-tombstones").resolve(Tombstones.FILE)));
    assertFalse(Files.exists(scenario.delta("04-tombstones-only").resolve("chroma.sqlite3")));
  }

  @Test
  void sameCollectionsRecordsAndQueryTop10AsTheOracle() {
    // ids, documents, metadata, float32-exact embeddings, configuration, counts and query top 10
    ChromaDumps.assertSameAnswers(scenario.oracle, scenario.actual);
    assertEquals(
        2486,
        scenario.actual.path("collections").path("words").path("count").asInt(),
        "words after all deltas and tombstones");
    for (String name : ChromaDumps.names(scenario.oracle.path("collections"))) {
      JsonNode queries = scenario.oracle.path("collections").path(name).path("queries");
      assertEquals(12, queries.size(), name + ": queries");
      queries.forEach(q -> assertEquals(10, q.path("ids").size(), name + ": top 10"));
    }
  }

  @Test
  void summaryCountsWhatTheOracleCounted() {
    JsonNode counts = scenario.oracle.path("counts");
    CompactionSummary s = scenario.summary;
    assertEquals(5, s.deltas());
    assertEquals(3, s.collections());
    assertEquals(counts.path("recordsRead").asLong(), s.recordsRead());
    assertEquals(counts.path("idsOverwritten").asLong(), s.idsOverwritten());
    assertEquals(counts.path("tombstonesApplied").asLong(), s.tombstonesApplied());
    assertEquals(counts.path("recordsWritten").asLong(), s.recordsWritten());
    assertTrue(s.peakHeapMb() > 0);
  }
}
