package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.CollectionKey;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.chroma.EmbeddingRecord;
import com.chromacompactor.chroma.QueueJson;
import com.chromacompactor.chroma.UnsupportedRecordException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a snapshot by the queue route (docs/chroma-format.md, "The queue route"): Chroma's own
 * schema as the target's release writes it (its migrations replayed byte for byte), the sysdb rows
 * of every collection, and one ADD row in {@code embeddings_queue} per live record. Chroma builds
 * the metadata segment and the HNSW index from the queue when a reader first opens a collection
 * (0.6 and 1.x alike).
 *
 * <p>The snapshot's own queue is the merge's spill: an upsert of a known id rewrites that id's row
 * in place. Ids are found through a scratch table in a separate SQLite file (attached, so that one
 * transaction covers both), which keeps the heap flat however many records pass.
 *
 * <p>Lifecycle: {@link #create}, then per delta {@link #begin(DeltaOrigin)} … {@link #commit()} or
 * {@link #rollback()}, then {@link #finish(List)} once, then {@link #close()}.
 */
public final class QueueSnapshotWriter implements SnapshotWriter {
  static final String CREATED_AT = SnapshotDatabase.CREATED_AT;

  private static final String SCRATCH_DDL =
      "CREATE TABLE scratch.ids (coll INTEGER NOT NULL, id TEXT NOT NULL,"
          + " seq INTEGER NOT NULL, PRIMARY KEY (coll, id)) WITHOUT ROWID";

  private final SnapshotDatabase database;
  private final Connection db;
  private final ChromaTarget target;
  private final PreparedStatement find;
  private final PreparedStatement insertRow;
  private final PreparedStatement insertId;
  private final PreparedStatement updateRow;
  private final PreparedStatement deleteRow;
  private final PreparedStatement deleteId;
  private final Map<CollectionKey, CollectionSlot> slots = new LinkedHashMap<>();
  private long nextSeq = 1;
  private boolean finished;

  private QueueSnapshotWriter(SnapshotDatabase database, ChromaTarget target) throws SQLException {
    this.database = database;
    this.db = database.connection();
    this.target = target;
    find =
        db.prepareStatement(
            "SELECT q.seq_id, q.metadata FROM scratch.ids i JOIN embeddings_queue q"
                + " ON q.seq_id = i.seq WHERE i.coll = ? AND i.id = ?");
    insertRow =
        db.prepareStatement(
            "INSERT INTO embeddings_queue (seq_id, created_at, operation, topic, id,"
                + " vector, encoding, metadata) VALUES (?, '"
                + CREATED_AT
                + "', 0, ?, ?, ?, 'FLOAT32', ?)");
    insertId = db.prepareStatement("INSERT INTO scratch.ids (coll, id, seq) VALUES (?, ?, ?)");
    updateRow =
        db.prepareStatement(
            "UPDATE embeddings_queue SET vector = ?, metadata = ? WHERE seq_id = ?");
    deleteRow = db.prepareStatement("DELETE FROM embeddings_queue WHERE seq_id = ?");
    deleteId = db.prepareStatement("DELETE FROM scratch.ids WHERE coll = ? AND id = ?");
  }

  /** A factory for snapshots that readers on {@code target}'s releases open. */
  public static SnapshotWriter.Factory factory(ChromaTarget target) {
    return (snapshotDir, scratchDir) -> create(snapshotDir, scratchDir, target);
  }

  /** Creates a snapshot for the default target: {@link #create(Path, Path, ChromaTarget)}. */
  public static QueueSnapshotWriter create(Path snapshotDir, Path scratchDir) throws IOException {
    return create(snapshotDir, scratchDir, ChromaTarget.DEFAULT);
  }

  /**
   * Creates {@code chroma.sqlite3} in the (empty) snapshot folder, in {@code target}'s schema, and
   * the id index in {@code scratch}.
   */
  public static QueueSnapshotWriter create(Path snapshotDir, Path scratchDir, ChromaTarget target)
      throws IOException {
    Path sqlite = snapshotDir.resolve(DeltaReader.SQLITE_FILE);
    SnapshotDatabase database =
        SnapshotDatabase.create(sqlite, scratchDir.resolve("ids.sqlite3"), SCRATCH_DDL, target);
    boolean success = false;
    try {
      QueueSnapshotWriter w = new QueueSnapshotWriter(database, target);
      success = true;
      return w;
    } catch (SQLException e) {
      throw new IOException("creating snapshot " + sqlite + ": " + e.getMessage(), e);
    } finally {
      if (!success) {
        database.close();
      }
    }
  }

  @Override
  public CollectionSlot collection(CollectionInfo first) {
    return slots.computeIfAbsent(first.key(), k -> CollectionSlot.of(slots.size(), first));
  }

  @Override
  public void begin(DeltaOrigin origin) {
    checkOpen(); // the queue carries floats as text, parsed by Chroma once on open, whatever the
    // origin
  }

  @Override
  public void commit() throws IOException {
    database.commit();
  }

  /** Undoes everything since the last commit: the delta being merged leaves no trace. */
  @Override
  public void rollback() throws IOException {
    database.rollback();
  }

  /** The stored record with this id, or null. */
  @Override
  public StoredRecord find(CollectionSlot slot, String id) throws IOException {
    checkOpen();
    try {
      find.setInt(1, slot.ordinal());
      find.setString(2, id);
      try (ResultSet rs = find.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        long seq = rs.getLong(1);
        return new StoredRecord(slot, seq, fromQueueJson(id, rs.getString(2)));
      }
    } catch (SQLException e) {
      throw new IOException("reading the snapshot: " + e.getMessage(), e);
    }
  }

  private static EmbeddingRecord fromQueueJson(String id, String json) {
    Map<String, Object> values = QueueJson.read(json);
    Object doc = values.remove(QueueJson.DOCUMENT_KEY);
    Object uri = values.remove(QueueJson.URI_KEY);
    return new EmbeddingRecord(id, new float[0], (String) doc, (String) uri, values);
  }

  @Override
  public void insert(CollectionSlot slot, EmbeddingRecord r) throws IOException {
    checkOpen();
    UnsupportedRecordException.check(target, slot.key(), r);
    long seq = nextSeq++;
    try {
      insertRow.setLong(1, seq);
      insertRow.setString(2, slot.topic());
      insertRow.setString(3, r.id());
      insertRow.setBytes(4, vectorBytes(r.embedding()));
      insertRow.setString(5, QueueJson.write(r));
      insertRow.executeUpdate();
      insertId.setInt(1, slot.ordinal());
      insertId.setString(2, r.id());
      insertId.setLong(3, seq);
      insertId.executeUpdate();
    } catch (SQLException e) {
      throw new IOException(
          "writing record '" + r.id() + "' of " + slot.key() + ": " + e.getMessage(), e);
    }
  }

  /** Overwrites a stored record in place; its position in the queue is kept. */
  @Override
  public void replace(StoredRecord stored, EmbeddingRecord r) throws IOException {
    checkOpen();
    UnsupportedRecordException.check(target, stored.slot().key(), r);
    try {
      updateRow.setBytes(1, vectorBytes(r.embedding()));
      updateRow.setString(2, QueueJson.write(r));
      updateRow.setLong(3, stored.seqId());
      updateRow.executeUpdate();
    } catch (SQLException e) {
      throw new IOException(
          "rewriting record '" + r.id() + "' of " + stored.slot().key() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void delete(StoredRecord stored) throws IOException {
    checkOpen();
    try {
      deleteRow.setLong(1, stored.seqId());
      deleteRow.executeUpdate();
      deleteId.setInt(1, stored.slot().ordinal());
      deleteId.setString(2, stored.record().id());
      deleteId.executeUpdate();
    } catch (SQLException e) {
      throw new IOException("deleting record '" + stored.record().id() + "': " + e.getMessage(), e);
    }
  }

  /**
   * Chroma's FLOAT32 encoding: raw little-endian floats (the driver keeps the array it is given).
   */
  private static byte[] vectorBytes(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  /**
   * Writes the sysdb rows of every collection and returns the number of records per collection
   * ordinal. After this the file is a plain Chroma directory: the scratch index is detached and
   * deleted and the journal mode is Chroma's.
   */
  @Override
  public Map<CollectionKey, Long> finish(List<CollectionDefinition> collections)
      throws IOException {
    checkOpen();
    finished = true;
    try {
      database.writeCollections(target, collections);
      Map<CollectionKey, Long> counts = new LinkedHashMap<>();
      for (CollectionDefinition c : collections) {
        counts.put(c.slot().key(), countRows(c.slot()));
      }
      database.finish();
      return counts;
    } catch (SQLException e) {
      throw new IOException("finishing the snapshot: " + e.getMessage(), e);
    }
  }

  private long countRows(CollectionSlot slot) throws SQLException {
    try (PreparedStatement ps =
        db.prepareStatement("SELECT count(*) FROM embeddings_queue WHERE topic = ?")) {
      ps.setString(1, slot.topic());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private void checkOpen() {
    if (finished) {
      throw new IllegalStateException("snapshot already finished");
    }
  }

  @Override
  public void close() throws IOException {
    database.close();
  }
}
