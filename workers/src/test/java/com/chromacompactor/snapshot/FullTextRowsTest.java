package com.chromacompactor.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.merge.CompactionOptions;
import com.chromacompactor.merge.DeltaFeed;
import com.chromacompactor.testing.Scenario;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The full-text table, which a new snapshot fills once at the end and an incremental run keeps up
 * record by record, holds exactly one row per live record with a document, {@code rowid =
 * embeddings.id}, as Chroma keeps it, and answers a trigram match.
 */
class FullTextRowsTest {
  @TempDir Path tmp;

  @Test
  void aNewSnapshotAndAnIncrementalOneHoldTheDocumentsOfTheirLiveRecords() throws Exception {
    Scenario s = Scenario.get();
    Path full = tmp.resolve("full");
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
        .run(
            List.of(
                s.delta("00-base"),
                s.delta("01-big"),
                s.delta("02-lines-tombstones"),
                s.delta("03-legacy-pickle"),
                s.delta("04-tombstones-only")),
            full);
    assertDocumentsIndexed(full);

    Path base = tmp.resolve("base");
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
        .run(List.of(s.delta("00-base"), s.delta("01-big")), base);
    assertDocumentsIndexed(base);
    Path incremental = tmp.resolve("incremental");
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
        .run(
            DeltaFeed.withBase(
                base,
                List.of(
                    s.delta("02-lines-tombstones"),
                    s.delta("03-legacy-pickle"),
                    s.delta("04-tombstones-only"))),
            incremental,
            CompactionOptions.snapshot());
    assertDocumentsIndexed(incremental);
    assertEquals(
        rows(full, DOCUMENTS_BY_ID_VALUE),
        rows(incremental, DOCUMENTS_BY_ID_VALUE),
        "the same documents, whichever way the snapshot was made");
  }

  private static final String DOCUMENTS =
      "SELECT id, string_value FROM embedding_metadata WHERE key = 'chroma:document' ORDER BY id";
  private static final String FULL_TEXT =
      "SELECT rowid, string_value FROM embedding_fulltext_search ORDER BY rowid";
  private static final String DOCUMENTS_BY_ID_VALUE =
      "SELECT e.embedding_id, m.string_value FROM embeddings e"
          + " JOIN embedding_metadata m ON m.id = e.id AND m.key = 'chroma:document' ORDER BY e.embedding_id";

  private static void assertDocumentsIndexed(Path snapshot) throws Exception {
    List<List<String>> documents = rows(snapshot, DOCUMENTS);
    assertFalse(documents.isEmpty(), "the scenario's records carry documents");
    assertEquals(documents, rows(snapshot, FULL_TEXT), "full-text rows of " + snapshot);
    // a trigram match finds a record by a piece of its document, as where_document $contains does
    List<String> first = documents.get(0);
    String piece = first.get(1).substring(0, Math.min(first.get(1).length(), 5));
    List<List<String>> matched =
        rows(
            snapshot,
            "SELECT rowid, string_value FROM embedding_fulltext_search"
                + " WHERE string_value MATCH '\""
                + piece.replace("\"", "\"\"")
                + "\"' AND rowid = "
                + first.get(0));
    assertEquals(List.of(first), matched, "match of '" + piece + "' in " + snapshot);
  }

  private static List<List<String>> rows(Path snapshot, String sql) throws Exception {
    List<List<String>> out = new ArrayList<>();
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + snapshot.resolve("chroma.sqlite3"));
        PreparedStatement ps = db.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(List.of(rs.getString(1), rs.getString(2)));
      }
    }
    return out;
  }
}
