package com.chromacompactor.chroma;

import com.chromacompactor.chroma.hnsw.CosineNormalization;
import com.chromacompactor.chroma.hnsw.HnswSegmentReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The records of one collection of one delta. Construction replays the queue's (seq, op, id)
 * columns to learn where each id's newest vector lives (an HNSW slot or a queue row); {@link
 * #advance()} then walks the metadata segment in offset-id order and fetches each vector on demand.
 *
 * <p>Queue rows newer than the metadata segment (rare: Chroma applies metadata synchronously) are
 * kept as (seq, op) pairs per id and applied to the record as it passes, their floats parsed as the
 * delta's release parses them ({@link FloatText}). chromadb 0.4 and 0.5 before 0.5.6 keep every
 * queue row; only rows past each segment's {@code max_seq_id} are unapplied, so only those are
 * replayed.
 */
final class CollectionCursor implements RecordCursor {
  private static final String FLOAT32 = "FLOAT32";

  private final Path delta;
  private final DeltaOrigin origin;
  private final FloatText floats;
  private final CollectionInfo collection;
  private final int dimension;
  private final HnswSegmentReader hnsw;
  private final Map<String, Integer> hnswSlots = new HashMap<>();
  private final Map<String, Long> queueVectors = new HashMap<>();

  /**
   * chromadb 0.x only: vector writes replayed at open go through a buffer of {@code
   * hnsw:batch_size} records, applied to hnswlib (normalised, for cosine) each time it fills; get()
   * answers the ids of the last, partial batch from the buffer, as given. 0 for releases without
   * it.
   */
  private final int batchSize;

  /**
   * With a buffer: the replay position of each id's last vector write, and where the partial batch
   * starts.
   */
  private final Map<String, Long> writtenAt = new HashMap<>();

  private long replayed;
  private long unappliedFrom;

  /** id -> (seq, op code) pairs newer than the metadata segment, in seq order. */
  private final Map<String, List<long[]>> pendingMetadata = new LinkedHashMap<>();

  private final PreparedStatement rowsQuery;
  private final PreparedStatement arraysQuery;
  private final PreparedStatement vectorBySeq;
  private final PreparedStatement metadataBySeq;
  private ResultSet rows;
  private ResultSet arrays;
  private boolean rowsHasCurrent;
  private boolean arraysHasCurrent;
  private Iterator<Map.Entry<String, List<long[]>>> queueOnly;
  private EmbeddingRecord current;
  private boolean closed;

  CollectionCursor(DeltaReader reader, CollectionInfo collection)
      throws SQLException, CorruptDeltaException {
    this.delta = reader.path();
    this.origin = reader.origin();
    // A producer's queue is read as its release parses it; a compactor output's queue holds each
    // value's
    // exact text (QueueJson.write), which the snapshot writer stores as its target does, once.
    this.floats = origin == DeltaOrigin.PRODUCER ? reader.format().floats() : FloatText.PYTHON_JSON;
    this.batchSize = reader.format().vectorBatchSize(collection.metadata());
    this.collection = collection;
    this.dimension = collection.dimension();
    long metadataSeq = reader.maxSeqId(collection.metadataSegmentId());
    long vectorSeq = reader.maxSeqId(collection.vectorSegmentId());
    DeltaReader.HnswVectors persisted = reader.openVectors(collection, vectorSeq);
    this.hnsw = persisted == null ? null : persisted.reader();
    if (persisted != null) {
      if (vectorSeq == 0 && persisted.ids().legacyMaxSeqId() != null) {
        vectorSeq = persisted.ids().legacyMaxSeqId(); // 0.x dirs kept it in the pickle
      }
      Map<Long, String> labelToId = persisted.ids().labelToId();
      for (int i = 0; i < hnsw.elementCount(); i++) {
        if (!hnsw.isDeleted(i)) {
          String id = labelToId.get(hnsw.label(i));
          if (id != null) {
            hnswSlots.put(id, i);
          }
        }
      }
    }
    Connection db = reader.db();
    MigrationSet set = reader.migrations();
    replayQueue(db, metadataSeq, vectorSeq);
    boolean success = false;
    try {
      // metadb 1 (chromadb 0.4.0-0.4.3) has no bool column, and only metadb 6 (1.5) has arrays
      rowsQuery =
          db.prepareStatement(
              "SELECT e.id, e.embedding_id, m.key, m.string_value, m.int_value,"
                  + " m.float_value, "
                  + (set.hasRecordBools() ? "m.bool_value" : "NULL")
                  + " FROM embeddings e"
                  + " LEFT JOIN embedding_metadata m ON m.id = e.id WHERE e.segment_id = ? ORDER BY e.id");
      arraysQuery =
          set.hasArrays()
              ? db.prepareStatement(
                  "SELECT a.id, a.key, a.string_value, a.int_value,"
                      + " a.float_value, a.bool_value FROM embedding_metadata_array a JOIN embeddings e ON e.id = a.id"
                      + " WHERE e.segment_id = ? ORDER BY a.id, a.rowid")
              : null;
      vectorBySeq = db.prepareStatement("SELECT vector FROM embeddings_queue WHERE seq_id = ?");
      metadataBySeq = db.prepareStatement("SELECT metadata FROM embeddings_queue WHERE seq_id = ?");
      rowsQuery.setString(1, collection.metadataSegmentId());
      rows = rowsQuery.executeQuery();
      rowsHasCurrent = rows.next();
      if (arraysQuery != null) {
        arraysQuery.setString(1, collection.metadataSegmentId());
        arrays = arraysQuery.executeQuery();
        arraysHasCurrent = arrays.next();
      }
      success = true;
    } finally {
      if (!success) {
        close();
      }
    }
  }

  private void replayQueue(Connection db, long metadataSeq, long vectorSeq)
      throws SQLException, CorruptDeltaException {
    try (PreparedStatement ps =
        db.prepareStatement(
            "SELECT seq_id, operation, id, length(vector), encoding"
                + " FROM embeddings_queue WHERE topic = ? AND seq_id > ? ORDER BY seq_id")) {
      ps.setString(1, collection.topic());
      ps.setLong(2, Math.min(metadataSeq, vectorSeq));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long seq = rs.getLong(1);
          int code = rs.getInt(2);
          String id = rs.getString(3);
          int bytes = rs.getInt(4);
          boolean hasVector = !rs.wasNull();
          QueueOperation op = QueueOperation.fromCode(code);
          if (op == null) {
            throw queueProblem(
                DeltaProblem.CORRUPT_QUEUE, seq, id, "unknown operation code " + code);
          }
          if (hasVector) {
            if (!FLOAT32.equals(rs.getString(5))) {
              throw queueProblem(
                  DeltaProblem.CORRUPT_QUEUE,
                  seq,
                  id,
                  "vector encoding '" + rs.getString(5) + "', expected FLOAT32");
            }
            if (bytes != dimension * Float.BYTES) {
              throw queueProblem(
                  DeltaProblem.WRONG_DIMENSION,
                  seq,
                  id,
                  (bytes % Float.BYTES == 0
                          ? "vector of " + bytes / Float.BYTES + " floats"
                          : "vector of " + bytes + " bytes, not a whole number of floats")
                      + ", but the collection's dimension is "
                      + dimension);
            }
          } else if (op == QueueOperation.ADD || op == QueueOperation.UPSERT) {
            throw queueProblem(DeltaProblem.CORRUPT_QUEUE, seq, id, op + " without a vector");
          }
          if (seq > vectorSeq) {
            replayVector(op, id, seq, hasVector);
            replayed++;
          }
          if (seq > metadataSeq && op != QueueOperation.BACKFILL) {
            pendingMetadata.computeIfAbsent(id, k -> new ArrayList<>()).add(new long[] {seq, code});
          }
        }
      }
    }
    unappliedFrom = batchSize > 0 ? replayed - replayed % batchSize : Long.MAX_VALUE;
  }

  private void replayVector(QueueOperation op, String id, long seq, boolean hasVector) {
    boolean present = hnswSlots.containsKey(id) || queueVectors.containsKey(id);
    switch (op) {
      case ADD:
        if (!present) {
          written(id, seq);
        }
        break;
      case UPDATE:
        if (present && hasVector) {
          hnswSlots.remove(id);
          written(id, seq);
        }
        break;
      case UPSERT:
        hnswSlots.remove(id);
        written(id, seq);
        break;
      case DELETE:
        hnswSlots.remove(id);
        queueVectors.remove(id);
        break;
      default:
        break; // BACKFILL carries no vector change for local segments
    }
  }

  private void written(String id, long seq) {
    queueVectors.put(id, seq);
    if (batchSize > 0) {
      writtenAt.put(id, replayed);
    }
  }

  /**
   * Whether get() answers {@code id} from 0.x's write buffer, as given, rather than from hnswlib.
   */
  private boolean buffered(String id) {
    Long at = writtenAt.get(id);
    return at != null && at >= unappliedFrom;
  }

  @Override
  public boolean advance() throws IOException {
    if (closed) {
      throw new IllegalStateException("cursor closed");
    }
    try {
      while (rowsHasCurrent) {
        RecordState state = nextSegmentRow();
        List<long[]> ops = pendingMetadata.remove(state.id);
        if (ops != null) {
          state = applyQueue(state, state.id, ops);
        }
        if (state != null) {
          current = withVector(state);
          return true;
        }
      }
      if (queueOnly == null) {
        queueOnly = pendingMetadata.entrySet().iterator();
      }
      while (queueOnly.hasNext()) {
        Map.Entry<String, List<long[]>> e = queueOnly.next();
        RecordState state = applyQueue(null, e.getKey(), e.getValue());
        if (state != null) {
          current = withVector(state);
          return true;
        }
      }
      current = null;
      return false;
    } catch (SQLException e) {
      throw DeltaReader.sqlFailure(delta, e, "reading collection " + collection.key());
    }
  }

  /** Consumes all joined rows of the next record, and its array values. */
  private RecordState nextSegmentRow() throws SQLException {
    long rowid = rows.getLong(1);
    RecordState state = new RecordState(rows.getString(2));
    do {
      String key = rows.getString(3);
      if (key != null) {
        state.set(key, MetadataColumns.value(rows, 4));
      }
      rowsHasCurrent = rows.next();
    } while (rowsHasCurrent && rows.getLong(1) == rowid);
    while (arraysHasCurrent && arrays.getLong(1) < rowid) {
      arraysHasCurrent = arrays.next();
    }
    Map<String, List<Object>> lists = null;
    while (arraysHasCurrent && arrays.getLong(1) == rowid) {
      if (lists == null) {
        lists = new LinkedHashMap<>();
      }
      lists
          .computeIfAbsent(arrays.getString(2), k -> new ArrayList<>())
          .add(MetadataColumns.value(arrays, 3));
      arraysHasCurrent = arrays.next();
    }
    if (lists != null) {
      lists.forEach((k, v) -> state.metadata.put(k, List.copyOf(v)));
    }
    return state;
  }

  /** Applies queue rows to a record (null = absent) with Chroma's metadata-segment rules. */
  private RecordState applyQueue(RecordState state, String id, List<long[]> ops)
      throws SQLException, CorruptDeltaException {
    for (long[] op : ops) {
      QueueOperation kind = QueueOperation.fromCode((int) op[1]);
      if (kind == QueueOperation.DELETE) {
        state = null;
        continue;
      }
      boolean absent = state == null;
      if ((kind == QueueOperation.ADD && !absent) || (kind == QueueOperation.UPDATE && absent)) {
        continue; // ADD of an existing id and UPDATE of a missing one are ignored by Chroma
      }
      if (absent) {
        state = new RecordState(id);
      }
      metadataBySeq.setLong(1, op[0]);
      try (ResultSet rs = metadataBySeq.executeQuery()) {
        Map<String, Object> patch;
        try {
          patch = rs.next() ? QueueJson.read(rs.getString(1), floats) : Map.of();
        } catch (IllegalArgumentException e) {
          throw queueProblem(DeltaProblem.CORRUPT_QUEUE, op[0], id, e.getMessage());
        }
        for (Map.Entry<String, Object> e : patch.entrySet()) {
          state.set(e.getKey(), e.getValue());
        }
      }
    }
    return state;
  }

  private EmbeddingRecord withVector(RecordState state) throws SQLException, CorruptDeltaException {
    float[] v = new float[dimension];
    Long seq = queueVectors.get(state.id);
    Integer slot = hnswSlots.get(state.id);
    if (seq != null) {
      vectorBySeq.setLong(1, seq);
      try (ResultSet rs = vectorBySeq.executeQuery()) {
        rs.next();
        ByteBuffer.wrap(rs.getBytes(1)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      }
      if (collection.space() == Space.COSINE
          && origin == DeltaOrigin.PRODUCER
          && !buffered(state.id)) {
        // Chroma answers get() from its index, where a cosine vector is stored normalised
        CosineNormalization.roundTrip(v);
      }
    } else if (slot != null) {
      hnsw.vectorInto(slot, v);
    } else {
      throw new CorruptDeltaException(
          delta,
          DeltaProblem.MISSING_HNSW,
          "collection "
              + collection.key()
              + ": record '"
              + state.id
              + "' has no vector in the HNSW files or the queue");
    }
    for (int j = 0; j < v.length; j++) {
      if (!Float.isFinite(v[j])) {
        throw new CorruptDeltaException(
            delta,
            DeltaProblem.NON_FINITE_VECTOR,
            "collection "
                + collection.key()
                + ": record '"
                + state.id
                + "': component "
                + j
                + " is "
                + v[j]);
      }
    }
    return new EmbeddingRecord(state.id, v, state.document, state.uri, state.metadata);
  }

  private CorruptDeltaException queueProblem(
      DeltaProblem problem, long seq, String id, String detail) {
    return new CorruptDeltaException(
        delta,
        problem,
        "collection "
            + collection.key()
            + ": embeddings_queue seq "
            + seq
            + " (id '"
            + id
            + "'): "
            + detail);
  }

  @Override
  public EmbeddingRecord record() {
    if (current == null) {
      throw new IllegalStateException("no current record: call advance() first");
    }
    return current;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (AutoCloseable c :
        new AutoCloseable[] {rows, arrays, rowsQuery, arraysQuery, vectorBySeq, metadataBySeq}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          // statements on a read-only connection: nothing to lose
        }
      }
    }
  }

  /** A record's document, uri and metadata while it is being assembled. */
  private static final class RecordState {
    final String id;
    String document;
    String uri;
    final Map<String, Object> metadata = new LinkedHashMap<>();

    RecordState(String id) {
      this.id = id;
    }

    /** One key of Chroma's combined map: the reserved keys, or user metadata; null deletes. */
    void set(String key, Object value) {
      if (QueueJson.DOCUMENT_KEY.equals(key)) {
        document = (String) value;
      } else if (QueueJson.URI_KEY.equals(key)) {
        uri = (String) value;
      } else if (key.startsWith("chroma:")) {
        return; // reserved and hidden from user metadata
      } else if (value == null) {
        metadata.remove(key);
      } else {
        metadata.put(key, value);
      }
    }
  }
}
