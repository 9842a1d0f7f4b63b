package com.chromacompactor.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.files.FileTrees;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * What real chromadb answers for a directory (chroma_fixtures.py dump), and comparisons of two
 * answers.
 */
public final class ChromaDumps {
  private ChromaDumps() {}

  /** Dumps {@code dir} through real chromadb, from a copy (opening it lets Chroma change it). */
  public static JsonNode dump(Path dir) throws IOException {
    Path work = TempTrees.create("dump-");
    try {
      Path copy = work.resolve("copy");
      Scenario.copyTree(dir, copy);
      ChromaPython.run("dump", work.resolve("dump.json"), copy);
      return new ObjectMapper().readTree(work.resolve("dump.json").toFile());
    } finally {
      FileTrees.delete(work); // a copy of a whole snapshot, done with
    }
  }

  /**
   * The rows of the snapshot's queue: none in a ready-to-query snapshot, which Chroma need not
   * index.
   */
  public static long queueRows(Path snapshot) throws SQLException {
    try (var db =
            DriverManager.getConnection(
                "jdbc:sqlite:file:"
                    + snapshot.resolve("chroma.sqlite3").toUri().getRawPath()
                    + "?mode=ro&immutable=1");
        var st = db.createStatement();
        var rs = st.executeQuery("SELECT count(*) FROM embeddings_queue")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Same collections, counts, configuration, records (float32-exact) and query top 10. */
  public static void assertSameAnswers(JsonNode expectedDump, JsonNode actualDump) {
    assertSameRecords(expectedDump, actualDump);
    for (String name : names(expectedDump.path("collections"))) {
      assertEquals(
          expectedDump.path("collections").path(name).path("queries"),
          actualDump.path("collections").path(name).path("queries"),
          name + ": query top 10");
    }
  }

  /**
   * For a snapshot with our own index (the indexed route) against an oracle with Chroma's: the same
   * records, and approximate search that finds the true neighbours. The judge is exact search, not
   * the oracle's answer: both indexes are approximate, and comparing the two answers failed twice
   * on an idle machine (106 and 110 of the oracle's 120 top-10 ids, "series" collection) without
   * saying which index missed. Over all queries of a collection, chromadb's answer on the snapshot
   * must hold at least 95% of the true top-10 neighbours, found by brute force over the snapshot's
   * own {@code get()} (an id, or a tied one at its distance).
   */
  public static void assertSameRecordsAndNeighbours(JsonNode expectedDump, JsonNode actualDump) {
    assertSameRecords(expectedDump, actualDump);
    for (String name : names(actualDump.path("collections"))) {
      JsonNode collection = actualDump.path("collections").path(name);
      JsonNode exact = collection.path("exact");
      JsonNode actual = collection.path("queries");
      assertEquals(exact.size(), actual.size(), name + ": queries");
      int wanted = 0;
      int found = 0;
      for (int q = 0; q < exact.size(); q++) {
        // Among equal distances (duplicate vectors) either answer may hold any of the tied ids; the
        // exact distances are float64, chromadb's float32, hence the tolerance.
        List<Double> left = new ArrayList<>();
        actual.get(q).path("distances").forEach(d -> left.add(d.asDouble()));
        for (JsonNode e : exact.get(q).path("distances")) {
          wanted++;
          for (int k = 0; k < left.size(); k++) {
            if (Math.abs(left.get(k) - e.asDouble())
                <= 1e-4 * Math.max(1, Math.abs(e.asDouble()))) {
              left.remove(k);
              found++;
              break;
            }
          }
        }
      }
      assertTrue(
          found >= 0.95 * wanted,
          name + ": " + found + " of the true " + wanted + " top-10 neighbours found");
    }
  }

  /** Same collections, counts, configuration and records (float32-exact); queries not compared. */
  public static void assertSameRecords(JsonNode expectedDump, JsonNode actualDump) {
    JsonNode expected = expectedDump.path("collections");
    JsonNode actual = actualDump.path("collections");
    assertEquals(names(expected), names(actual), "collections");
    for (String name : names(expected)) {
      for (String field : List.of("count", "space", "dimension", "metadata")) {
        assertEquals(
            expected.path(name).path(field), actual.path(name).path(field), name + " " + field);
      }
      JsonNode e = expected.path(name).path("records");
      JsonNode a = actual.path(name).path("records");
      assertEquals(names(e), names(a), name + ": ids");
      List<String> differing = new ArrayList<>();
      for (String id : names(e)) {
        if (!e.path(id).equals(a.path(id))) {
          differing.add(id + "\n  expected " + e.path(id) + "\n  actual   " + a.path(id));
        }
      }
      assertTrue(
          differing.isEmpty(),
          name
              + ": "
              + differing.size()
              + " records differ, first: "
              + differing.stream().limit(3).toList());
    }
  }

  public static TreeSet<String> names(JsonNode object) {
    TreeSet<String> out = new TreeSet<>();
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }
}
