package com.chromacompactor.chroma;

import com.chromacompactor.chroma.hnsw.CorruptIndexException;
import com.chromacompactor.chroma.hnsw.HnswSegmentFormat;
import com.chromacompactor.chroma.hnsw.HnswSegmentReader;
import com.chromacompactor.chroma.hnsw.IdLabelMap;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Reads one persisted Chroma directory ("delta") of any release from 0.4.0 to 1.5.9 the way the
 * release that wrote it answers {@code get()}: documents and metadata from the metadata segment's
 * tables, vectors from the HNSW files, and the queue replayed on top of both
 * (docs/chroma-format.md, "Reading a directory").
 *
 * <p>Opening checks that SQLite reports no corruption and maps the migration set to its {@link
 * ChromaFormat}, which says which tables and columns to read and how. Records then stream per
 * collection through a {@link RecordCursor}; only a per-id map of where each vector lives is held,
 * never the vectors or documents themselves. Every SQL statement on Chroma's tables that this
 * compactor reads with is here or in {@link CollectionCursor}.
 */
public final class DeltaReader implements Closeable {
  public static final String SQLITE_FILE = "chroma.sqlite3";
  static final String TOPIC_PREFIX = "persistent://default/default/";
  private static final String VECTOR_SCOPE = "VECTOR";
  private static final String METADATA_SCOPE = "METADATA";

  private final Path delta;
  private final DeltaOrigin origin;
  private final Connection db;
  private final ChromaFormat.Detected format;
  private final List<CollectionInfo> collections;

  private DeltaReader(
      Path delta,
      DeltaOrigin origin,
      Connection db,
      ChromaFormat.Detected format,
      List<CollectionInfo> collections) {
    this.delta = delta;
    this.origin = origin;
    this.db = db;
    this.format = format;
    this.collections = collections;
  }

  /**
   * Opens and validates a producer's delta; throws a {@link CorruptDeltaException} naming it and
   * the reason.
   */
  public static DeltaReader open(Path delta) throws CorruptDeltaException {
    return open(delta, DeltaOrigin.PRODUCER);
  }

  /** Opens and validates a directory written by {@code origin}. */
  public static DeltaReader open(Path delta, DeltaOrigin origin) throws CorruptDeltaException {
    return open(delta, origin, SqliteCheck.QUICK_CHECK);
  }

  /**
   * Opens and validates a directory written by {@code origin}, its SQLite file checked as {@code
   * check} says.
   */
  public static DeltaReader open(Path delta, DeltaOrigin origin, SqliteCheck check)
      throws CorruptDeltaException {
    Path sqlite = delta.resolve(SQLITE_FILE);
    if (!Files.isDirectory(delta)) {
      throw new CorruptDeltaException(delta, DeltaProblem.NOT_CHROMA, "not a directory");
    }
    if (!Files.isRegularFile(sqlite)) {
      throw new CorruptDeltaException(
          delta, DeltaProblem.NOT_CHROMA, "no " + SQLITE_FILE + " in the folder");
    }
    Connection db = null;
    boolean success = false;
    try {
      db = openReadOnly(sqlite);
      if (check == SqliteCheck.QUICK_CHECK) {
        quickCheck(delta, db);
      }
      ChromaFormat.Detected format = detectFormat(delta, db);
      List<CollectionInfo> collections = readCollections(delta, db, format);
      success = true;
      return new DeltaReader(delta, origin, db, format, collections);
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

  /** The release family that wrote this directory. */
  public ChromaFormat format() {
    return format.format();
  }

  /** The exact migrations it has, which say which tables and columns there are. */
  public MigrationSet migrations() {
    return format.migrations();
  }

  /**
   * A read-only connection to a finished directory's {@code chroma.sqlite3}: {@code immutable=1},
   * since nothing writes it while it is read; SQLite then takes no locks and writes no journal.
   */
  static Connection openReadOnly(Path sqlite) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:sqlite:file:" + sqlite.toUri().getRawPath() + "?mode=ro&immutable=1");
  }

  /**
   * Whether any record is still in the queue, as text Chroma has yet to parse (a queue-route
   * output, or a producer's unflushed writes), rather than all in the metadata segment: a queue row
   * of a collection past its metadata segment's {@code max_seq_id}. (Rows at or below it were
   * applied: chromadb 0.4 and early 0.5 keep them all, and 0.5.6+ keep the last one.)
   */
  public boolean hasQueuedRecords() throws CorruptDeltaException {
    try (PreparedStatement ps =
        db.prepareStatement(
            "SELECT EXISTS (SELECT 1 FROM embeddings_queue WHERE topic = ? AND seq_id > ?)")) {
      for (CollectionInfo c : collections) {
        ps.setString(1, c.topic());
        ps.setLong(2, maxSeqId(c.metadataSegmentId()));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            return true;
          }
        }
      }
      return false;
    } catch (SQLException e) {
      throw sqlFailure(delta, e, "reading the queue");
    }
  }

  /** The highest sequence number in the queue, 0 when it is empty. */
  public long highestQueueSeq() throws CorruptDeltaException {
    return count(
        "SELECT coalesce(max(seq_id), 0) FROM embeddings_queue", null, "reading the queue");
  }

  /** The distinct values of {@code max_seq_id}, in either encoding. */
  public Set<Long> maxSeqIdValues() throws CorruptDeltaException {
    Set<Long> out = new TreeSet<>();
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT seq_id FROM max_seq_id")) {
      while (rs.next()) {
        out.add(SeqIdEncoding.decode(rs.getObject(1)));
      }
    } catch (SQLException | IllegalArgumentException e) {
      throw new CorruptDeltaException(
          delta,
          DeltaProblem.CORRUPT_SQLITE,
          SQLITE_FILE + ": reading max_seq_id: " + e.getMessage(),
          e);
    }
    return out;
  }

  /** Rows of {@code embeddings} in every segment. */
  public long embeddingRows() throws CorruptDeltaException {
    return count("SELECT count(*) FROM embeddings", null, "reading the metadata segments");
  }

  /** Records of a collection's metadata segment (not counting what the queue holds). */
  public long segmentRecords(CollectionInfo c) throws CorruptDeltaException {
    try {
      return MetadataSegment.count(db, c.metadataSegmentId());
    } catch (SQLException e) {
      throw sqlFailure(delta, e, "counting collection " + c.key());
    }
  }

  /** Live (not deleted) elements of a collection's HNSW files; 0 when it has none. */
  public long liveIndexElements(CollectionInfo c) throws CorruptDeltaException {
    if (c.dimension() == null
        || !Files.isRegularFile(
            delta.resolve(c.vectorSegmentId()).resolve(HnswSegmentFormat.HEADER))) {
      return 0;
    }
    return openIndex(c).liveElements();
  }

  private long count(String sql, String parameter, String doing) throws CorruptDeltaException {
    try (PreparedStatement ps = db.prepareStatement(sql)) {
      if (parameter != null) {
        ps.setString(1, parameter);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw sqlFailure(delta, e, doing);
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
   * read): rows of the metadata segment, plus ADD/UPSERT rows of the queue it has not applied yet.
   * An estimate for planning; it may count an id twice when the queue adds it more than once.
   */
  public long estimateRecords(CollectionInfo c) throws CorruptDeltaException {
    try (PreparedStatement queued =
        db.prepareStatement(
            "SELECT count(*) FROM embeddings_queue WHERE topic = ?"
                + " AND seq_id > ? AND operation IN (0, 2)")) {
      queued.setString(1, c.topic());
      queued.setLong(2, maxSeqId(c.metadataSegmentId()));
      try (ResultSet b = queued.executeQuery()) {
        b.next();
        return MetadataSegment.count(db, c.metadataSegmentId()) + b.getLong(1);
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
        return new CorruptDeltaException(
            delta, DeltaProblem.CORRUPT_SQLITE, SQLITE_FILE + " is not a SQLite database", e);
      }
    }
    return new CorruptDeltaException(
        delta, DeltaProblem.CORRUPT_SQLITE, SQLITE_FILE + ": " + doing + ": " + e.getMessage(), e);
  }

  /**
   * {@code PRAGMA quick_check} of {@code delta}'s SQLite file on a connection of its own, for a
   * reader opened with {@link SqliteCheck#CHECKED_ALONGSIDE}.
   */
  public static void quickCheck(Path delta) throws CorruptDeltaException {
    try (Connection db = openReadOnly(delta.resolve(SQLITE_FILE))) {
      quickCheck(delta, db);
    } catch (SQLException e) {
      throw sqlFailure(delta, e, "quick_check");
    }
  }

  private static void quickCheck(Path delta, Connection db) throws CorruptDeltaException {
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA quick_check")) {
      List<String> problems = new ArrayList<>();
      while (rs.next()) {
        String line = rs.getString(1);
        if (!"ok".equals(line) && problems.size() < 3) {
          problems.add(line);
        }
      }
      if (!problems.isEmpty()) {
        throw new CorruptDeltaException(
            delta,
            DeltaProblem.CORRUPT_SQLITE,
            SQLITE_FILE + " fails quick_check: " + String.join("; ", problems));
      }
    } catch (SQLException e) {
      throw sqlFailure(delta, e, "quick_check");
    }
  }

  private static ChromaFormat.Detected detectFormat(Path delta, Connection db)
      throws CorruptDeltaException, SQLException {
    if (!tableExists(db, "migrations")) {
      throw new CorruptDeltaException(
          delta,
          DeltaProblem.NOT_CHROMA,
          SQLITE_FILE + " has no migrations table: not written by Chroma");
    }
    List<Migration> rows = new ArrayList<>();
    try (Statement st = db.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT dir, version, filename, sql, hash FROM migrations ORDER BY rowid")) {
      while (rs.next()) {
        rows.add(
            new Migration(
                rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5)));
      }
    }
    return ChromaFormat.detect(delta, rows);
  }

  private static boolean tableExists(Connection db, String table) throws SQLException {
    try (PreparedStatement ps =
        db.prepareStatement("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static List<CollectionInfo> readCollections(
      Path delta, Connection db, ChromaFormat.Detected format)
      throws SQLException, CorruptDeltaException {
    MigrationSet set = format.migrations();
    // Columns a release line lacks are read as NULL: one query shape for every family.
    String sql =
        "SELECT c.id, c.name, c.dimension, "
            + (set.hasConfigJson() ? "c.config_json_str" : "NULL")
            + ", "
            + (set.hasSchema() ? "c.schema_str" : "NULL")
            + ", "
            + (set.hasDatabases() ? "d.name, d.tenant_id" : "NULL, NULL")
            + ", "
            + (set.hasTopicColumns() ? "c.topic" : "NULL")
            + " FROM collections c"
            + (set.hasDatabases() ? " LEFT JOIN databases d ON d.id = c.database_id" : "")
            + " ORDER BY c.rowid";
    List<CollectionInfo> out = new ArrayList<>();
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        String id = rs.getString(1);
        CollectionKey key =
            new CollectionKey(
                Objects.requireNonNullElse(rs.getString(7), CollectionKey.DEFAULT_TENANT),
                Objects.requireNonNullElse(rs.getString(6), CollectionKey.DEFAULT_DATABASE),
                rs.getString(2));
        int dim = rs.getInt(3);
        Integer dimension = rs.wasNull() ? null : dim;
        String config = rs.getString(4);
        String schema = rs.getString(5);
        // 0.4 names each collection's queue topic in its row; later releases derive it from the id
        String topic = Objects.requireNonNullElse(rs.getString(8), TOPIC_PREFIX + id);
        Map<String, Object> metadata = readCollectionMetadata(db, id, set);
        HnswConfig hnsw;
        try {
          hnsw = format.format().configuration().read(config, schema, metadata);
        } catch (IllegalArgumentException e) {
          throw new CorruptDeltaException(
              delta, DeltaProblem.CORRUPT_SQLITE, "collection " + key + ": " + e.getMessage(), e);
        }
        String metaSeg = null;
        String vecSeg = null;
        try (PreparedStatement ps =
            db.prepareStatement("SELECT id, scope FROM segments WHERE collection = ?")) {
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
          throw new CorruptDeltaException(
              delta,
              DeltaProblem.CORRUPT_SQLITE,
              "collection "
                  + key
                  + " lacks its "
                  + (metaSeg == null ? "METADATA" : "VECTOR")
                  + " segment row");
        }
        out.add(
            new CollectionInfo(
                id, key, dimension, config, schema, metadata, hnsw, metaSeg, vecSeg, topic));
      }
    }
    return List.copyOf(out);
  }

  private static Map<String, Object> readCollectionMetadata(
      Connection db, String collectionId, MigrationSet set) throws SQLException {
    Map<String, Object> out = new LinkedHashMap<>();
    try (PreparedStatement ps =
        db.prepareStatement(
            "SELECT key, str_value, int_value, float_value, "
                + (set.hasCollectionBools() ? "bool_value" : "NULL")
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

  long maxSeqId(String segmentId) throws SQLException {
    try (PreparedStatement ps =
        db.prepareStatement("SELECT seq_id FROM max_seq_id WHERE segment_id = ?")) {
      ps.setString(1, segmentId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? SeqIdEncoding.decode(rs.getObject(1)) : 0;
      }
    }
  }

  /** The persisted HNSW vectors of a collection, or null when Chroma never flushed any. */
  HnswVectors openVectors(CollectionInfo c, long vectorMaxSeq) throws CorruptDeltaException {
    Path folder = delta.resolve(c.vectorSegmentId());
    Path pickle = folder.resolve(HnswSegmentFormat.PICKLE);
    if (!Files.isRegularFile(pickle)) {
      if (vectorMaxSeq > 0) {
        throw new CorruptDeltaException(
            delta,
            DeltaProblem.MISSING_HNSW,
            "collection "
                + c.key()
                + ": the sqlite says vectors up to seq "
                + vectorMaxSeq
                + " were flushed, but "
                + c.vectorSegmentId()
                + "/"
                + HnswSegmentFormat.PICKLE
                + " is missing");
      }
      return null;
    }
    IdLabelMap ids;
    try {
      ids = IdLabelMap.read(pickle);
    } catch (IOException e) {
      throw indexFailure(c, e);
    }
    if (ids.labelToId().isEmpty()) {
      return null; // Chroma loads no index when the id map is empty
    }
    return new HnswVectors(openIndex(c), ids);
  }

  private HnswSegmentReader openIndex(CollectionInfo c) throws CorruptDeltaException {
    HnswSegmentReader reader;
    try {
      reader = HnswSegmentReader.open(delta.resolve(c.vectorSegmentId()), c.space().vectorForm());
    } catch (IOException e) {
      throw indexFailure(c, e);
    }
    if (reader.header().dimension() != c.dimension()) {
      throw new CorruptDeltaException(
          delta,
          DeltaProblem.WRONG_DIMENSION,
          c.vectorSegmentId()
              + "/"
              + HnswSegmentFormat.HEADER
              + ": vectors of dimension "
              + reader.header().dimension()
              + ", but the collection's dimension is "
              + c.dimension());
    }
    return reader;
  }

  /** An index file's failure as this delta's refusal: missing, or corrupt (naming the file). */
  private CorruptDeltaException indexFailure(CollectionInfo c, IOException e) {
    if (e instanceof NoSuchFileException missing) {
      return new CorruptDeltaException(
          delta,
          DeltaProblem.MISSING_HNSW,
          "collection "
              + c.key()
              + ": "
              + CorruptIndexException.resource(Path.of(missing.getFile()))
              + " is missing",
          e);
    }
    if (e instanceof CorruptIndexException corrupt) {
      return new CorruptDeltaException(delta, DeltaProblem.CORRUPT_HNSW, corrupt.getMessage(), e);
    }
    return new CorruptDeltaException(
        delta,
        DeltaProblem.CORRUPT_HNSW,
        "collection " + c.key() + ": reading its index files: " + e,
        e);
  }

  /** The two halves Chroma loads together: the mapped index files and the id map. */
  record HnswVectors(HnswSegmentReader reader, IdLabelMap ids) {}
}
