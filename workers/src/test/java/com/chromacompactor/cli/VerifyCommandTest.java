package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.testing.Scenario;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit finds nothing wrong with a snapshot the compactor wrote, and names what was tampered
 * with.
 */
class VerifyCommandTest {
  @TempDir Path tmp;

  @Test
  void aSnapshotOfTheDeltasIsIntact() {
    Scenario s = Scenario.get();
    CliRun r =
        CliRun.of("verify", s.snapshot.toString(), s.root.resolve("scenario/deltas").toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("intact: " + s.summary.recordsWritten() + " records"), r.out());
  }

  /**
   * An indexed snapshot holds what Chroma stores, not what it was given (floats through serde's
   * parse, cosine vectors normalised): the audit expects that form, and still sees a change of one
   * float.
   */
  @Test
  void anIndexedSnapshotIsIntactAndATamperedFloatIsNamed() throws Exception {
    Scenario s = Scenario.get();
    Path snapshot = tmp.resolve("indexed");
    CliRun c =
        CliRun.of(
            "compact",
            "--format",
            "indexed",
            "--threads",
            "1",
            "--out",
            snapshot.toString(),
            s.root.resolve("scenario/deltas").toString());
    assertEquals(0, c.exit(), c.err());
    CliRun r =
        CliRun.of("verify", snapshot.toString(), s.root.resolve("scenario/deltas").toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("intact: " + s.summary.recordsWritten() + " records"), r.out());

    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + snapshot.resolve("chroma.sqlite3"));
        Statement st = db.createStatement()) {
      assertEquals(
          1,
          st.executeUpdate(
              "UPDATE embedding_metadata SET float_value = float_value * (1 + 1e-15)"
                  + " WHERE key = 'tiny' AND id = (SELECT id FROM embeddings WHERE embedding_id = 'w0036')"));
    }
    CliRun tampered =
        CliRun.of("verify", snapshot.toString(), s.root.resolve("scenario/deltas").toString());
    assertEquals(CompactorCli.EXIT_FAILED, tampered.exit());
    assertTrue(
        tampered.err().contains("1 differing [words/w0036 (document/uri/metadata)]"),
        tampered.err());
  }

  @Test
  void missingExtraAndDifferingRecordsAreNamed() throws Exception {
    Scenario s = Scenario.get();
    Path copy = tmp.resolve("snapshot");
    Scenario.copyTree(s.snapshot, copy);
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + copy.resolve("chroma.sqlite3"));
        Statement st = db.createStatement()) {
      st.executeUpdate("DELETE FROM embeddings_queue WHERE id = 'w0042'");
      st.executeUpdate(
          "UPDATE embeddings_queue SET metadata = replace(metadata, '\"n\":43', '\"n\":4300')"
              + " WHERE id = 'w0043'");
      st.executeUpdate(
          "INSERT INTO embeddings_queue (seq_id, operation, topic, id, vector, encoding, metadata)"
              + " SELECT seq_id + 100000, operation, topic, 'smuggled', vector, encoding, metadata"
              + " FROM embeddings_queue WHERE id = 'w0044'");
    }
    CliRun r = CliRun.of("verify", copy.toString(), s.root.resolve("scenario/deltas").toString());
    assertEquals(CompactorCli.EXIT_FAILED, r.exit());
    assertTrue(r.err().contains("1 missing [words/w0042]"), r.err());
    assertTrue(r.err().contains("1 extra [words/smuggled]"), r.err());
    assertTrue(r.err().contains("1 differing [words/w0043 (document/uri/metadata)]"), r.err());
  }
}
