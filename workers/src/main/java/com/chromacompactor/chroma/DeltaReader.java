package com.chromacompactor.chroma;

import com.chromacompactor.chroma.hnsw.HnswSegmentFormat;
import com.chromacompactor.chroma.hnsw.HnswSegmentReader;
import com.chromacompactor.chroma.hnsw.IdLabelMap;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Reads one Chroma 1.x persisted directory ("delta") the way Chroma's own executor would answer
 * {@code get()}: documents and metadata from the metadata segment's tables, vectors from the HNSW
 * files, and the queue replayed on top of both (§9 of the format notes).
 *
 * <p>Opening checks that the folder is a Chroma directory of the exact migration set we know and
 * that SQLite reports no corruption. Records then stream per collection through a {@link RecordCursor};
 * only a per-id map of where each vector lives is held, never the vectors or documents themselves.
 */
public final class DeltaReader implements Closeable {
  public static final String SQLITE_FILE = "chroma.sqlite3";
  static final String TOPIC_PREFIX = "persistent://default/default/";
  private static final String VECTOR_SCOPE = "VECTOR";
  private static final String METADATA_SCOPE = "METADATA";

  private final Path delta;
  private final DeltaOrigin origin;
  private final Connection db;
  private final List<CollectionInfo> collections;

  private DeltaReader(Path delta, DeltaOrigin origin, Connection db, List<CollectionInfo> collections) {
    this.delta = delta;
    this.origin = origin;
    this.db = db;
    this.collections = collections;
  }

  /** Opens and validates a producer's delta; throws a {@link CorruptDeltaException} naming it and the reason. */
  public static DeltaReader open(Path delta) throws CorruptDeltaException {
    return open(delta, DeltaOrigin.PRODUCER);
  }

  /** Opens and validates a directory written by {@code origin}. */
  public static DeltaReader open(Path delta, DeltaOrigin origin) throws CorruptDeltaException {
    Path sqlite = delta.resolve(SQLITE_FILE);
    if (!Files.isDirectory(delta)) {
      throw new CorruptDeltaException(delta, DeltaProblem.NOT_CHROMA, "not a directory");
    }
    if (!Files.isRegularFile(sqlite)) {
      throw new CorruptDeltaException(delta, DeltaProblem.NOT_CHROMA, "no " + SQLITE_FILE + " in the folder");
    }
    Connection db = null;
    boolean success = false;
    try {
      // immutable=1: a delta is a finished copy; SQLite then takes no locks and writes no journal.
      db = DriverManager.getConnection("jdbc:sqlite:file:" + sqlite.toUri().getRawPath() + "?mode=ro&immutable=1");
      quickCheck(delta, db);
      checkMigrations(delta, db);
      List<CollectionInfo> collections = readCollections(delta, db);
      success = true;
      return new DeltaReader(delta, origin, db, collections);
    } catch (SQLException e) {
      throw sqlFailure(delta, e, "reading the sysdb tables");
    } finally {
      if (!success && db != null) {
        try {
          db.close();
        } catch (SQLException suppressed) {
          // the open already failed; that failure is the one to report
        }
      }
    }
  }

  public Path path() {
    return delta;
  }

  public DeltaOrigin origin() {
    return origin;
  }

  /**
   * Whether any record is still in the queue, as text Chroma has yet to parse (a queue-route output, or
   * a producer's unflushed writes), rather than all in the metadata segment.
   */
  public boolean hasQueuedRecords() throws CorruptDeltaException {
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM embeddings_queue)")) {
      rs.next();
      return rs.getBoolean(1);
    } catch (SQLException e) {
      throw sqlFailure(delta, e, "reading the queue");
    }
  }

  /** The collections of this delta, in creation order. */
  public List<CollectionInfo> collections() {
    return collections;
  }

  /** Streams the records of one collection as Chroma would return them from {@code get()}. */
  public RecordCursor records(CollectionInfo collection) throws CorruptDeltaException {
    if (collection.dimension() == null) {
      return RecordCursor.empty(); // Chroma shows nothing until a first vector sets the dimension
    }
    try {
      return new CollectionCursor(this, collection);
    } catch (SQLException e) {
      throw sqlFailure(delta, e, "reading collection " + collection.key());
    }
  }

  /**
   * The number of records of a collection, cheaply and from the sqlite file alone (no HNSW file is
   * read): rows of the metadata segment, plus ADD/UPSERT rows of the queue it has not applied yet. An
   * estimate for planning; it may count an id twice when the queue adds it more than once.
   */
  public long estimateRecords(CollectionInfo c) throws CorruptDeltaException {
    try (PreparedStatement rows = db.prepareStatement("SELECT count(*) FROM embeddings WHERE segment_id = ?");
        PreparedStatement queued = db.prepareStatement("SELECT count(*) FROM embeddings_queue WHERE topic = ?"
            + " AND seq_id > ? AND operation IN (0, 2)")) {
      rows.setString(1, c.metadataSegmentId());
      queued.setString(1, TOPIC_PREFIX + c.id());
      queued.setLong(2, maxSeqId(c.metadataSegmentId()));
      try (ResultSet a = rows.executeQuery(); ResultSet b = queued.executeQuery()) {
        a.next();
        b.next();
        return a.getLong(1) + b.getLong(1);
      }
    } catch (SQLException e) {
      throw sqlFailure(delta, e, "counting collection " + c.key());
    }
  }

  @Override
  public void close() {
    try {
      db.close();
    } catch (SQLException e) {
      // read-only, immutable: nothing can be lost by a failed close
    }
  }

  Connection db() {
    return db;
  }

  static CorruptDeltaException sqlFailure(Path delta, SQLException e, String doing) {
    if (e instanceof SQLiteException se) {
      SQLiteErrorCode code = se.getResultCode();
      if (code == SQLiteErrorCode.SQLITE_NOTADB) {
        return new CorruptDeltaException(delta, DeltaProblem.CORRUPT_SQLITE,
            SQLITE_FILE + " is not a SQLite database", e);
      }
    }
    return new CorruptDeltaException(delta, DeltaProblem.CORRUPT_SQLITE,
        SQLITE_FILE + ": " + doing + ": " + e.getMessage(), e);
  }

  private static void quickCheck(Path delta, Connection db) throws CorruptDeltaException {
    try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("PRAGMA quick_check")) {
      List<String> problems = new ArrayList<>();
      while (rs.next()) {
        String line = rs.getString(1);
        if (!"ok".equals(line) && problems.size() < 3) {
          problems.add(line);
        }
      }
      if (!problems.isEmpty()) {
        throw new CorruptDeltaException(delta, DeltaProblem.CORRUPT_SQLITE,
            SQLITE_FILE + " fails quick_check: " + String.join("; ", problems));
      }
    } catch (SQLException e) {
      throw sqlFailure(delta, e, "quick_check");
    }
  }

  private static void checkMigrations(Path delta, Connection db) throws CorruptDeltaException, SQLException {
    if (!tableExists(db, "migrations")) {
      throw new CorruptDeltaException(delta, DeltaProblem.NOT_CHROMA,
          SQLITE_FILE + " has no migrations table: not written by Chroma");
    }
    Map<String, Migration> found = new LinkedHashMap<>();
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT dir, version, filename, sql, hash FROM migrations")) {
      while (rs.next()) {
        Migration m = new Migration(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5));
        found.put(m.dir() + " v" + m.version(), m);
      }
    }
    for (Migration known : ChromaMigrations.all()) {
      Migration m = found.remove(known.dir() + " v" + known.version());
      if (m == null) {
        throw new CorruptDeltaException(delta, DeltaProblem.UNSUPPORTED_VERSION, "migration " + known.dir()
            + " v" + known.version() + " (" + known.filename() + ") is missing: written by an older Chroma"
            + " than the 1.x set this compactor reads");
      }
      if (!known.md5().equals(m.md5()) || !known.sql().equals(m.sql())) {
        throw new CorruptDeltaException(delta, DeltaProblem.UNSUPPORTED_VERSION, "migration " + known.dir()
            + " v" + known.version() + ": hash expected " + known.md5() + ", found " + m.md5()
            + (known.md5().equals(m.md5()) ? " (SQL text differs)" : ""));
      }
    }
    if (!found.isEmpty()) {
      Migration extra = found.values().iterator().next();
      throw new CorruptDeltaException(delta, DeltaProblem.UNSUPPORTED_VERSION, "migration " + extra.dir()
          + " v" + extra.version() + " (" + extra.filename() + ") is unknown: written by a newer Chroma"
          + " (" + found.size() + " unknown migration" + (found.size() == 1 ? "" : "s") + ")");
    }
  }

  private static boolean tableExists(Connection db, String table) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static List<CollectionInfo> readCollections(Path delta, Connection db)
      throws SQLException, CorruptDeltaException {
    List<CollectionInfo> out = new ArrayList<>();
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT c.id, c.name, c.dimension, c.config_json_str, c.schema_str,"
            + " d.name, d.tenant_id FROM collections c LEFT JOIN databases d ON d.id = c.database_id"
            + " ORDER BY c.rowid")) {
      while (rs.next()) {
        String id = rs.getString(1);
        CollectionKey key = new CollectionKey(
            Objects.requireNonNullElse(rs.getString(7), CollectionKey.DEFAULT_TENANT),
            Objects.requireNonNullElse(rs.getString(6), CollectionKey.DEFAULT_DATABASE),
            rs.getString(2));
        int dim = rs.getInt(3);
        Integer dimension = rs.wasNull() ? null : dim;
        String config = rs.getString(4);
        String schema = rs.getString(5);
        Map<String, Object> metadata = readCollectionMetadata(db, id);
        HnswConfig hnsw;
        try {
          hnsw = HnswConfig.resolve(schema, config, metadata);
        } catch (IllegalArgumentException e) {
          throw new CorruptDeltaException(delta, DeltaProblem.CORRUPT_SQLITE,
              "collection " + key + ": " + e.getMessage(), e);
        }
        String metaSeg = null;
        String vecSeg = null;
        try (PreparedStatement ps = db.prepareStatement("SELECT id, scope FROM segments WHERE collection = ?")) {
          ps.setString(1, id);
          try (ResultSet seg = ps.executeQuery()) {
            while (seg.next()) {
              if (VECTOR_SCOPE.equals(seg.getString(2))) {
                vecSeg = seg.getString(1);
              } else if (METADATA_SCOPE.equals(seg.getString(2))) {
                metaSeg = seg.getString(1);
              }
            }
          }
        }
        if (metaSeg == null || vecSeg == null) {
          throw new CorruptDeltaException(delta, DeltaProblem.CORRUPT_SQLITE, "collection " + key
              + " lacks its " + (metaSeg == null ? "METADATA" : "VECTOR") + " segment row");
        }
        out.add(new CollectionInfo(id, key, dimension, config, schema, metadata, hnsw, metaSeg, vecSeg));
      }
    }
    return List.copyOf(out);
  }

  private static Map<String, Object> readCollectionMetadata(Connection db, String collectionId) throws SQLException {
    Map<String, Object> out = new LinkedHashMap<>();
    try (PreparedStatement ps = db.prepareStatement("SELECT key, str_value, int_value, float_value, bool_value"
        + " FROM collection_metadata WHERE collection_id = ? ORDER BY rowid")) {
      ps.setString(1, collectionId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Object v = MetadataColumns.value(rs, 2);
          if (v != null) {
            out.put(rs.getString(1), v);
          }
        }
      }
    }
    return out;
  }

  /** A sequence number stored as INTEGER (1.x) or as an 8-byte big-endian BLOB (dirs from 0.4–0.6). */
  static long seqId(ResultSet rs, int column) throws SQLException {
    Object o = rs.getObject(column);
    if (o == null) {
      return 0;
    }
    if (o instanceof byte[] b) {
      return ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN).getLong(b.length - Long.BYTES);
    }
    return ((Number) o).longValue();
  }

  long maxSeqId(String segmentId) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement("SELECT seq_id FROM max_seq_id WHERE segment_id = ?")) {
      ps.setString(1, segmentId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? seqId(rs, 1) : 0;
      }
    }
  }

  /** The persisted HNSW vectors of a collection, or null when Chroma never flushed any. */
  HnswVectors openVectors(CollectionInfo c, long vectorMaxSeq) throws CorruptDeltaException {
    Path folder = delta.resolve(c.vectorSegmentId());
    Path pickle = folder.resolve(HnswSegmentFormat.PICKLE);
    if (!Files.isRegularFile(pickle)) {
      if (vectorMaxSeq > 0) {
        throw new CorruptDeltaException(delta, DeltaProblem.MISSING_HNSW, "collection " + c.key()
            + ": the sqlite says vectors up to seq " + vectorMaxSeq + " were flushed, but "
            + c.vectorSegmentId() + "/" + HnswSegmentFormat.PICKLE + " is missing");
      }
      return null;
    }
    IdLabelMap ids = IdLabelMap.read(delta, pickle);
    if (ids.labelToId().isEmpty()) {
      return null; // Chroma loads no index when the id map is empty
    }
    HnswSegmentReader reader = HnswSegmentFormat.openReader(delta, folder, c.space(), c.dimension());
    return new HnswVectors(reader, ids);
  }

  /** The two halves Chroma loads together: the mapped index files and the id map. */
  record HnswVectors(HnswSegmentReader reader, IdLabelMap ids) {}
}
