package com.chromacompactor.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.snapshot.IndexedSnapshotWriter;
import com.chromacompactor.testing.Scenario;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The check FinalMerge runs before upload: it passes a whole snapshot and names what is not. */
class SnapshotCheckTest {
  @TempDir Path tmp;
  private Path snapshot;
  private CompactionSummary summary;

  @BeforeEach
  void compact() throws Exception {
    snapshot = tmp.resolve("snapshot");
    summary =
        new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
            .run(Scenario.get().deltas, snapshot);
  }

  @Test
  void aWholeSnapshotPasses() throws Exception {
    assertEquals(List.of(), SnapshotCheck.run(snapshot, summary.recordsByCollection()));
    assertTrue(
        summary.recordsByCollection().values().stream().mapToLong(Long::longValue).sum() > 0);
  }

  @Test
  void aCountThatDiffersFromTheMergesIsNamed() throws Exception {
    Map<String, Long> expected = new HashMap<>(summary.recordsByCollection());
    String words =
        expected.keySet().stream().filter(k -> k.endsWith("words")).findFirst().orElseThrow();
    expected.put(words, expected.get(words) + 1);
    assertEquals(
        List.of(
            words
                + ": the merge counted "
                + expected.get(words)
                + " records, the snapshot reads back "
                + (expected.get(words) - 1)),
        SnapshotCheck.run(snapshot, expected));
  }

  @Test
  void aRecordLostFromTheMetadataSegmentIsNamed() throws Exception {
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + snapshot.resolve("chroma.sqlite3"));
        Statement st = db.createStatement()) {
      assertEquals(1, st.executeUpdate("DELETE FROM embeddings WHERE embedding_id = 'w0042'"));
    }
    List<String> problems = SnapshotCheck.run(snapshot, summary.recordsByCollection());
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(
        problems.get(0).matches(".*words: \\d+ records but \\d+ live elements in its index"),
        problems.toString());
    assertTrue(problems.get(1).contains("words: the merge counted"), problems.toString());
  }
}
