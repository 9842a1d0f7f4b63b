package com.chromacompactor.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.chroma.ChromaMigrations;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.files.FileTrees;
import com.chromacompactor.testing.ChromaPython;
import com.chromacompactor.testing.Scenario;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each bad input is refused with an error that names the delta and the reason, and leaves nothing
 * at the output, even when good deltas were merged before it.
 */
class BadDeltaTest {
  private static Scenario scenario;
  @TempDir Path tmp;

  @BeforeAll
  static void build() {
    scenario = Scenario.get();
  }

  @Test
  void folderWithoutChromaDatabase() throws Exception {
    Path bad = Files.createDirectory(tmp.resolve("empty-delta"));
    assertRefused(bad, DeltaProblem.NOT_CHROMA, "no chroma.sqlite3");
  }

  @Test
  void sqliteFileThatChromaDidNotWrite() throws Exception {
    Path bad = Files.createDirectory(tmp.resolve("other-sqlite"));
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + bad.resolve("chroma.sqlite3"));
        Statement st = db.createStatement()) {
      st.execute("CREATE TABLE t (x)");
    }
    assertRefused(bad, DeltaProblem.NOT_CHROMA, "no migrations table");
  }

  @Test
  void fileThatIsNotSqlite() throws Exception {
    Path bad = copy("00-base");
    Files.write(
        bad.resolve("chroma.sqlite3"), "this is not a database at all".repeat(200).getBytes());
    assertRefused(bad, DeltaProblem.CORRUPT_SQLITE, "not a SQLite database");
  }

  @Test
  void truncatedSqlite() throws Exception {
    Path bad = copy("01-big");
    Path file = bad.resolve("chroma.sqlite3");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() / 2);
    }
    assertRefused(bad, DeltaProblem.CORRUPT_SQLITE, "chroma.sqlite3");
  }

  @Test
  void migrationFromANewerChroma() throws Exception {
    Path bad = copy("00-base");
    sql(
        bad,
        "INSERT INTO migrations (dir, version, filename, sql, hash) VALUES ('sysdb', 11,"
            + " '00011-future.sqlite.sql', 'SELECT 1;', '"
            + ChromaMigrations.md5("SELECT 1;")
            + "')");
    assertRefused(
        bad,
        DeltaProblem.UNSUPPORTED_VERSION,
        "sysdb v11 (00011-future.sqlite.sql) is newer than any"
            + " Chroma release this compactor knows: this compactor reads chromadb 0.4.0 to 1.5.9");
  }

  @Test
  void migrationSetThatNoChromaReleaseWrote() throws Exception {
    // every family's own set is read (ReleaseFamiliesTest); a set between families is not
    Path bad = copy("00-base");
    sql(bad, "DELETE FROM migrations WHERE dir = 'metadb' AND version >= 4");
    assertRefused(
        bad,
        DeltaProblem.UNSUPPORTED_VERSION,
        "migrations sysdb 1-10, metadb 1-3, embeddings_queue 1-2" + " match no Chroma release");
  }

  @Test
  void migrationWithAnAlteredHash() throws Exception {
    Path bad = copy("00-base");
    sql(
        bad,
        "UPDATE migrations SET hash = '00000000000000000000000000000000' WHERE dir = 'sysdb' AND version = 3");
    assertRefused(
        bad,
        DeltaProblem.UNSUPPORTED_VERSION,
        "sysdb v3: hash expected 42d22d0574d31d419c2a0e7f625c93aa");
  }

  @Test
  void hnswFolderMissingThatTheSqliteSaysWasFlushed() throws Exception {
    Path bad = copy("01-big");
    FileTrees.delete(bad.resolve(vectorSegment("01-big")));
    assertRefused(bad, DeltaProblem.MISSING_HNSW, "index_metadata.pickle is missing");
  }

  @Test
  void hnswDataTruncated() throws Exception {
    Path bad = copy("01-big");
    Path data = bad.resolve(vectorSegment("01-big")).resolve("data_level0.bin");
    try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() / 3);
    }
    assertRefused(bad, DeltaProblem.CORRUPT_HNSW, "data_level0.bin: truncated");
  }

  @Test
  void vectorOfTheWrongDimensionInTheQueue() throws Exception {
    Path bad = copy("00-base");
    setLastQueueVector(bad, new float[100]);
    assertRefused(
        bad,
        DeltaProblem.WRONG_DIMENSION,
        "vector of 100 floats, but the collection's dimension is 1536");
  }

  @Test
  void collectionWhoseDimensionDisagreesWithAnEarlierDelta() throws Exception {
    Path other = tmp.resolve("lines-dim-8");
    ChromaPython.run("tiny", other, "lines", "l2", 8, 5);
    CorruptDeltaException e =
        assertRefused(
            other,
            DeltaProblem.CONFLICTING_COLLECTION,
            "collection lines: dimension 8 here, but 1536 in delta ");
    assertTrue(e.getMessage().contains(scenario.delta("00-base").toString()), e.getMessage());
  }

  @Test
  void collectionWhoseSpaceDisagreesWithAnEarlierDelta() throws Exception {
    Path other = tmp.resolve("lines-cosine");
    ChromaPython.run("tiny", other, "lines", "cosine", 1536, 3);
    CorruptDeltaException e =
        assertRefused(
            other,
            DeltaProblem.CONFLICTING_COLLECTION,
            "collection lines: space cosine here, but l2 in delta ");
    assertTrue(e.getMessage().contains(scenario.delta("00-base").toString()), e.getMessage());
  }

  @Test
  void nanInAQueueVector() throws Exception {
    Path bad = copy("00-base");
    float[] v = new float[1536];
    v[7] = Float.NaN;
    setLastQueueVector(bad, v);
    assertRefused(bad, DeltaProblem.NON_FINITE_VECTOR, "component 7 is NaN");
  }

  @Test
  void infinityInTheHnswVectors() throws Exception {
    Path bad = copy("01-big");
    Path folder = bad.resolve(vectorSegment("01-big"));
    ByteBuffer header =
        ByteBuffer.wrap(Files.readAllBytes(folder.resolve("header.bin")))
            .order(ByteOrder.LITTLE_ENDIAN);
    long count = header.getLong(20);
    long size = header.getLong(28);
    long offsetData = header.getLong(44);
    try (FileChannel ch =
        FileChannel.open(folder.resolve("data_level0.bin"), StandardOpenOption.WRITE)) {
      for (long i = 0; i < count; i++) {
        ByteBuffer inf =
            ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(0, Float.POSITIVE_INFINITY);
        ch.write(inf, i * size + offsetData);
      }
    }
    assertRefused(bad, DeltaProblem.NON_FINITE_VECTOR, "component 0 is Infinity");
  }

  @Test
  void anEmptyDeltaMergesNothingAndChangesNothing() throws Exception {
    Path empty = tmp.resolve("empty-words");
    ChromaPython.run("tiny", empty, "words", "cosine", 1536, 0);
    Path out = tmp.resolve("out");
    CompactionSummary s =
        new Compaction(CompactionListener.NONE).run(List.of(scenario.delta("00-base"), empty), out);
    CompactionSummary base =
        new Compaction(CompactionListener.NONE)
            .run(List.of(scenario.delta("00-base")), tmp.resolve("base"));
    assertEquals(2, s.deltas());
    assertEquals(base.recordsRead(), s.recordsRead());
    assertEquals(base.recordsByCollection(), s.recordsByCollection());
  }

  @Test
  void tombstonesThatDoNotParse() throws Exception {
    Path bad = copy("02-lines-tombstones");
    Files.writeString(
        bad.resolve(Tombstones.FILE),
        "{\"format\": \"chroma-compactor/tombstones\", \"version\": 1, [");
    assertRefused(bad, DeltaProblem.BAD_TOMBSTONES, "tombstones.json");
  }

  /** Merges a good delta, then the bad one: the error names the bad delta and nothing is left. */
  private CorruptDeltaException assertRefused(Path bad, DeltaProblem problem, String detail)
      throws Exception {
    Path out = tmp.resolve("out").resolve("snapshot");
    List<Path> deltas = List.of(scenario.delta("00-base"), bad);
    CorruptDeltaException e =
        assertThrows(
            CorruptDeltaException.class,
            () -> new Compaction(CompactionListener.NONE).run(deltas, out));
    assertEquals(problem, e.problem(), e.getMessage());
    assertEquals(bad, e.delta());
    assertTrue(e.getMessage().startsWith("delta " + bad + ": " + problem + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(detail), "expected '" + detail + "' in: " + e.getMessage());
    assertFalse(Files.exists(out), "no snapshot may be left at " + out);
    try (Stream<Path> left = Files.list(out.getParent())) {
      assertEquals(List.of(), left.toList(), "no staging folder may be left behind");
    }
    return e;
  }

  private Path copy(String name) throws Exception {
    Path to = tmp.resolve("bad-" + name);
    Scenario.copyTree(scenario.delta(name), to);
    return to;
  }

  private static String vectorSegment(String delta) {
    return scenario
        .coverage
        .path(delta)
        .path("collections")
        .path("words")
        .path("vectorSegment")
        .asText();
  }

  private static void sql(Path delta, String statement) throws Exception {
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + delta.resolve("chroma.sqlite3"));
        Statement st = db.createStatement()) {
      st.executeUpdate(statement);
    }
  }

  /** Replaces the vector of the newest queue row that has one (a live record of the delta). */
  private static void setLastQueueVector(Path delta, float[] v) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    try (Connection db =
        DriverManager.getConnection("jdbc:sqlite:" + delta.resolve("chroma.sqlite3"))) {
      long seq;
      try (Statement st = db.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT max(seq_id) FROM embeddings_queue WHERE vector IS NOT NULL")) {
        rs.next();
        seq = rs.getLong(1);
      }
      try (PreparedStatement ps =
          db.prepareStatement("UPDATE embeddings_queue SET vector = ? WHERE seq_id = ?")) {
        ps.setBytes(1, b.array());
        ps.setLong(2, seq);
        assertEquals(1, ps.executeUpdate());
      }
    }
  }
}
