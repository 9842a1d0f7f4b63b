package com.chromacompactor.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.testing.Scenario;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our snapshot, opened by real chromadb, must answer exactly as a real PersistentClient that upserted
 * every delta's records in order (tombstones first): same get(), same query() top 10.
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
    assertTrue(big.path("hnswElements").asInt() >= 1000, "01-big must have vectors in HNSW files: " + big);
    assertTrue(big.path("queueVectors").asInt() > 0, "01-big must have vectors only in the queue: " + big);
    assertTrue(c.path("03-legacy-pickle").path("legacyPickle").asBoolean());
    assertTrue(c.path("03-legacy-pickle").path("collections").path("words").path("hnswElements").asInt() > 0);
    assertTrue(Files.exists(scenario.delta("02-lines-tombstones").resolve(Tombstones.FILE)));
    assertFalse(Files.exists(scenario.delta("04-tombstones-only").resolve("chroma.sqlite3")));
  }

  @Test
  void sameCollectionsConfigurationsAndCounts() {
    JsonNode expected = scenario.oracle.path("collections");
    JsonNode actual = scenario.actual.path("collections");
    assertEquals(names(expected), names(actual));
    for (String name : names(expected)) {
      for (String field : List.of("count", "space", "dimension", "metadata")) {
        assertEquals(expected.path(name).path(field), actual.path(name).path(field), name + " " + field);
      }
    }
    assertEquals(2486, actual.path("words").path("count").asInt(), "words after all deltas and tombstones");
  }

  @Test
  void sameGetIdsDocumentsMetadataAndFloat32Embeddings() {
    JsonNode expected = scenario.oracle.path("collections");
    JsonNode actual = scenario.actual.path("collections");
    for (String name : names(expected)) {
      JsonNode e = expected.path(name).path("records");
      JsonNode a = actual.path(name).path("records");
      assertEquals(names(e), names(a), name + ": ids");
      List<String> differing = new ArrayList<>();
      for (String id : names(e)) {
        if (!e.path(id).equals(a.path(id))) {
          differing.add(id + "\n  expected " + e.path(id) + "\n  actual   " + a.path(id));
        }
      }
      assertTrue(differing.isEmpty(), name + ": " + differing.size() + " records differ, first: "
          + differing.stream().limit(3).toList());
    }
  }

  @Test
  void sameQueryTop10() {
    JsonNode expected = scenario.oracle.path("collections");
    JsonNode actual = scenario.actual.path("collections");
    for (String name : names(expected)) {
      JsonNode e = expected.path(name).path("queries");
      assertEquals(12, e.size(), name + ": queries");
      for (int q = 0; q < e.size(); q++) {
        assertEquals(e.get(q).path("ids"), actual.path(name).path("queries").get(q).path("ids"), name + " query " + q);
        assertEquals(10, e.get(q).path("ids").size());
        JsonNode ed = e.get(q).path("distances");
        JsonNode ad = actual.path(name).path("queries").get(q).path("distances");
        for (int i = 0; i < ed.size(); i++) {
          assertEquals(ed.get(i).floatValue(), ad.get(i).floatValue(), 0f, name + " query " + q + " rank " + i);
        }
      }
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

  private static TreeSet<String> names(JsonNode object) {
    TreeSet<String> out = new TreeSet<>();
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }
}
