package com.chromacompactor.audit;

import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.chroma.EmbeddingRecord;
import com.chromacompactor.chroma.FloatText;
import com.chromacompactor.chroma.QueueJson;
import com.chromacompactor.chroma.RecordCursor;
import com.chromacompactor.chroma.Space;
import com.chromacompactor.chroma.hnsw.CosineNormalization;
import com.chromacompactor.merge.Tombstones;
import com.chromacompactor.merge.Upsert;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Proves that a snapshot holds exactly what its deltas say. The expected state is re-derived by
 * streaming the deltas and their tombstones, in order, into a scratch SQLite table of (collection,
 * id, document, uri, metadata, digests): nothing but that table grows with the records. The
 * snapshot is then streamed and every record checked against it: missing, extra and differing
 * records are counted and the first of each named.
 */
public final class SnapshotAudit {
  private SnapshotAudit() {}

  public static AuditReport run(Path snapshot, List<Path> deltas, Path scratchDir)
      throws IOException {
    boolean compacted;
    FloatText floats;
    try (DeltaReader reader = DeltaReader.open(snapshot, DeltaOrigin.COMPACTOR)) {
      compacted = !reader.hasQueuedRecords();
      floats = reader.format().floats();
    }
    Path scratch = Files.createTempFile(scratchDir, "audit-", ".sqlite3");
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + scratch)) {
      try (Statement st = db.createStatement()) {
        st.execute("PRAGMA journal_mode=OFF");
        st.execute("PRAGMA synchronous=OFF");
        st.execute(
            "CREATE TABLE expected (coll TEXT NOT NULL, id TEXT NOT NULL, document TEXT, uri TEXT,"
                + " metadata TEXT NOT NULL, vector TEXT NOT NULL, content TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 0,"
                + " PRIMARY KEY (coll, id)) WITHOUT ROWID");
      }
      db.setAutoCommit(false);
      for (Path delta : deltas) {
        expect(db, delta, compacted ? floats : null);
      }
      db.commit();
      return compare(db, snapshot);
    } catch (SQLException e) {
      throw new IOException("audit scratch database: " + e.getMessage(), e);
    } finally {
      Files.deleteIfExists(scratch);
    }
  }

  /**
   * Applies one delta to the expected state, with the merge's rules: tombstones, then upserts. The
   * digests are of what the snapshot should hold: for a compacted one (no queue: the indexed route;
   * {@code stored} is how its release stores floats), what Chroma stores once it has applied its
   * queue (see {@link #asChromaStores}); for a queue-route one ({@code stored} null), the values as
   * given.
   */
  private static void expect(Connection db, Path delta, FloatText stored)
      throws IOException, SQLException {
    try (PreparedStatement del =
            db.prepareStatement("DELETE FROM expected WHERE coll = ? AND id = ?");
        PreparedStatement get =
            db.prepareStatement(
                "SELECT document, uri, metadata FROM expected WHERE coll = ? AND id = ?");
        PreparedStatement put =
            db.prepareStatement(
                "INSERT OR REPLACE INTO expected (coll, id, document, uri,"
                    + " metadata, vector, content) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      Tombstones.read(
          delta,
          (collection, id) -> {
            try {
              del.setString(1, collection);
              del.setString(2, id);
              del.executeUpdate();
            } catch (SQLException e) {
              throw new IOException(e);
            }
          });
      if (!Files.exists(delta.resolve(DeltaReader.SQLITE_FILE))) {
        return;
      }
      try (DeltaReader reader = DeltaReader.open(delta)) {
        for (CollectionInfo c : reader.collections()) {
          String coll = c.key().toString();
          try (RecordCursor cursor = reader.records(c)) {
            while (cursor.advance()) {
              EmbeddingRecord r = cursor.record();
              get.setString(1, coll);
              get.setString(2, r.id());
              EmbeddingRecord merged = r;
              try (ResultSet rs = get.executeQuery()) {
                if (rs.next()) {
                  Map<String, Object> metadata = QueueJson.read(rs.getString(3));
                  merged =
                      Upsert.apply(
                          new EmbeddingRecord(
                              r.id(), r.embedding(), rs.getString(1), rs.getString(2), metadata),
                          r);
                }
              }
              RecordDigest d =
                  RecordDigest.of(
                      stored != null ? asChromaStores(merged, c.space(), stored) : merged);
              put.setString(1, coll);
              put.setString(2, r.id());
              put.setString(3, merged.document());
              put.setString(4, merged.uri());
              put.setString(5, QueueJson.write(merged.metadata()));
              put.setString(6, d.vector());
              put.setString(7, d.content());
              put.executeUpdate();
            }
          }
        }
      }
    }
  }

  /**
   * A record as Chroma holds it after applying its queue: float metadata as the snapshot's release
   * stores an upserted value ({@link FloatText#stored}), and a cosine vector through hnswlib's
   * normalisation and back.
   */
  private static EmbeddingRecord asChromaStores(EmbeddingRecord r, Space space, FloatText floats) {
    float[] vector = r.embedding().clone();
    if (space == Space.COSINE) {
      CosineNormalization.roundTrip(vector);
    }
    Map<String, Object> metadata = new LinkedHashMap<>();
    r.metadata()
        .forEach(
            (k, v) ->
                metadata.put(
                    k,
                    v instanceof List<?> list
                        ? list.stream().map(x -> storedValue(x, floats)).toList()
                        : storedValue(v, floats)));
    return new EmbeddingRecord(r.id(), vector, r.document(), r.uri(), metadata);
  }

  private static Object storedValue(Object v, FloatText floats) {
    return v instanceof Double d ? floats.stored(d) : v;
  }

  private static AuditReport compare(Connection db, Path snapshot)
      throws IOException, SQLException {
    long actual = 0;
    long extra = 0;
    long differing = 0;
    List<String> firstExtra = new ArrayList<>();
    List<String> firstDiffering = new ArrayList<>();
    try (PreparedStatement get =
            db.prepareStatement("SELECT vector, content FROM expected WHERE coll = ? AND id = ?");
        PreparedStatement seen =
            db.prepareStatement("UPDATE expected SET seen = 1 WHERE coll = ? AND id = ?");
        DeltaReader reader = DeltaReader.open(snapshot, DeltaOrigin.COMPACTOR)) {
      for (CollectionInfo c : reader.collections()) {
        String coll = c.key().toString();
        try (RecordCursor cursor = reader.records(c)) {
          while (cursor.advance()) {
            EmbeddingRecord r = cursor.record();
            actual++;
            String name = coll + "/" + r.id();
            get.setString(1, coll);
            get.setString(2, r.id());
            try (ResultSet rs = get.executeQuery()) {
              if (!rs.next()) {
                extra++;
                add(firstExtra, name);
                continue;
              }
              RecordDigest d = RecordDigest.of(r);
              String what =
                  !d.vector().equals(rs.getString(1))
                      ? "vector"
                      : !d.content().equals(rs.getString(2)) ? "document/uri/metadata" : null;
              if (what != null) {
                differing++;
                add(firstDiffering, name + " (" + what + ")");
              }
            }
            seen.setString(1, coll);
            seen.setString(2, r.id());
            seen.executeUpdate();
          }
        }
      }
    }
    long expected;
    long missing;
    List<String> firstMissing = new ArrayList<>();
    try (Statement st = db.createStatement()) {
      try (ResultSet rs =
          st.executeQuery("SELECT count(*), coalesce(sum(seen = 0), 0) FROM expected")) {
        rs.next();
        expected = rs.getLong(1);
        missing = rs.getLong(2);
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT coll, id FROM expected WHERE seen = 0 ORDER BY coll, id LIMIT "
                  + AuditReport.SHOWN)) {
        while (rs.next()) {
          firstMissing.add(rs.getString(1) + "/" + rs.getString(2));
        }
      }
    }
    return new AuditReport(
        expected, actual, missing, extra, differing, firstMissing, firstExtra, firstDiffering);
  }

  private static void add(List<String> first, String name) {
    if (first.size() < AuditReport.SHOWN) {
      first.add(name);
    }
  }
}
