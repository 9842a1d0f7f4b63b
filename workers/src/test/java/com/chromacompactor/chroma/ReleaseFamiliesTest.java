package com.chromacompactor.chroma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.testing.ChromaRelease;
import com.chromacompactor.testing.ReleaseMatrix;
import com.chromacompactor.testing.Scenario;
import com.chromacompactor.testing.TempTrees;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every release family, read from a delta its own release wrote: the family is recognised from the
 * migration rows, and each delta yields exactly what that release returns from its own {@code
 * get()} (ids, documents, metadata with floats as that release stored them, float32 vectors),
 * through the HNSW files, the queue rows past the segments' {@code max_seq_id} and the id map
 * pickle of its form.
 */
class ReleaseFamiliesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Numbers compare by value: integers exactly, floats bit for bit. */
  private static final Comparator<JsonNode> NUMBERS =
      (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
          if (a.isIntegralNumber() && b.isIntegralNumber()) {
            return Long.compare(a.longValue(), b.longValue());
          }
          return Double.compare(a.doubleValue(), b.doubleValue());
        }
        return a.equals(b) ? 0 : 1;
      };

  @ParameterizedTest
  @EnumSource(ChromaRelease.class)
  void eachReleasesDeltaYieldsWhatThatReleasesGetReturns(ChromaRelease release) throws Exception {
    ReleaseMatrix m = ReleaseMatrix.get();
    JsonNode dump = m.dump(release);
    assertEquals(release.version(), dump.path("version").asText());
    try (DeltaReader reader = DeltaReader.open(m.delta(release))) {
      assertEquals(release.format(), reader.format(), "family of " + release.version());
      List<String> names = new ArrayList<>();
      for (CollectionInfo c : reader.collections()) {
        names.add(c.key().name());
        JsonNode expected = dump.path("collections").path(c.key().name());
        assertEquals(expected.path("space").asText(), c.space().chromaName(), c.key() + " space");
        Map<String, JsonNode> actual = new TreeMap<>();
        try (RecordCursor cursor = reader.records(c)) {
          while (cursor.advance()) {
            EmbeddingRecord r = cursor.record();
            actual.put(
                r.id(),
                JSON.valueToTree(
                    Map.of(
                        "document",
                        r.document() == null ? "<none>" : r.document(),
                        "metadata",
                        r.metadata().isEmpty() ? "<none>" : r.metadata(),
                        "embedding",
                        doubles(r.embedding()))));
          }
        }
        JsonNode records = expected.path("records");
        assertEquals(expected.path("count").asInt(), actual.size(), c.key() + " records");
        List<String> differing = new ArrayList<>();
        records
            .fields()
            .forEachRemaining(
                e -> {
                  JsonNode want =
                      JSON.valueToTree(
                          Map.of(
                              "document",
                                  e.getValue().path("document").isNull()
                                      ? "<none>"
                                      : e.getValue().path("document").asText(),
                              "metadata",
                                  e.getValue().path("metadata").isNull()
                                      ? "<none>"
                                      : e.getValue().path("metadata"),
                              "embedding", e.getValue().path("embedding")));
                  JsonNode got = actual.get(e.getKey());
                  if (got == null || !want.equals(NUMBERS, got)) {
                    differing.add(
                        e.getKey()
                            + "\n  "
                            + release.version()
                            + ": "
                            + want
                            + "\n  reader: "
                            + got);
                  }
                });
        assertTrue(
            differing.isEmpty(),
            c.key()
                + ": "
                + differing.size()
                + " records differ from "
                + release.version()
                + "'s get(), first: "
                + differing.stream().limit(2).toList());
      }
      assertEquals(List.of("words", "lines"), names);
    }
  }

  private static double[] doubles(float[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(
      value = ChromaRelease.class,
      names = {"V0_4_24", "V0_6_3", "V1_5_9"})
  void aDeltaWhoseMigrationsANewerReleaseWroteIsRefusedNamingWhatWeRead(ChromaRelease release)
      throws Exception {
    Path bad = copy(release, "newer");
    sql(
        bad,
        "INSERT INTO migrations (dir, version, filename, sql, hash) VALUES ('metadb', 7,"
            + " '00007-future.sqlite.sql', 'SELECT 1;', '"
            + ChromaMigrations.md5("SELECT 1;")
            + "')");
    CorruptDeltaException e =
        assertThrows(CorruptDeltaException.class, () -> DeltaReader.open(bad).close());
    assertEquals(DeltaProblem.UNSUPPORTED_VERSION, e.problem());
    assertEquals(
        "migration metadb v7 (00007-future.sqlite.sql) is newer than any Chroma release this compactor knows:"
            + " "
            + ChromaFormat.readable(),
        e.detail());
    assertTrue(
        e.getMessage().startsWith("delta " + bad + ": UNSUPPORTED_VERSION: "), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(
      value = ChromaRelease.class,
      names = {"V0_4_14", "V0_5_5", "V1_0_21", "V1_3_7"})
  void aDeltaWithAnAlteredMigrationIsRefused(ChromaRelease release) throws Exception {
    Path bad = copy(release, "altered");
    sql(bad, "UPDATE migrations SET sql = sql || ' ' WHERE dir = 'sysdb' AND version = 2");
    CorruptDeltaException e =
        assertThrows(CorruptDeltaException.class, () -> DeltaReader.open(bad).close());
    assertEquals(DeltaProblem.UNSUPPORTED_VERSION, e.problem());
    assertEquals(
        "migration sysdb v2: hash expected 2913cb6a503055a95f625448037e8912, found"
            + " 2913cb6a503055a95f625448037e8912 (SQL text differs): altered after Chroma wrote it",
        e.detail());
  }

  private static Path copy(ChromaRelease release, String why) throws Exception {
    Path to = TempTrees.create("release-" + why + "-").resolve("delta");
    Scenario.copyTree(ReleaseMatrix.get().delta(release), to);
    return to;
  }

  private static void sql(Path delta, String statement) throws Exception {
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + delta.resolve(DeltaReader.SQLITE_FILE));
        Statement st = db.createStatement()) {
      st.executeUpdate(statement);
    }
  }
}
