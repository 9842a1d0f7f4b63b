package com.chromacompactor.merge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Per id, the version ({@link DeltaVersion}) of its last write and of its last delete: the file
 * {@value #FILE} that a compaction keeps beside its output (snapshot or intermediate). Chroma
 * ignores it; the output's manifest lists it. It is how a late delta (one whose version is below
 * what the lineage already published) changes an id only where it comes after the id's last
 * operation, and how a deleted id stays deleted against an older late write.
 *
 * <p>Format (SQLite, version {@value #VERSION}): {@code compactor_format(name, version)} holds one
 * row, {@value #FORMAT} and the version; {@code delta(id, delta_key, sequence)} names each delta
 * once; {@code record_version(collection, record_id, written_by, deleted_by)}, keyed by collection
 * name and id, points at the delta of the id's last write and last delete (either may be null).
 * Lookups are point queries on that key, so a snapshot of a million ids keeps them on disk, not on
 * the heap.
 *
 * <p>A writable store follows the compaction's per-delta transactions: {@link #begin()}, then
 * {@link #commit()} or {@link #rollback()}.
 */
public final class RecordVersions implements AutoCloseable {
  public static final String FILE = "compactor-versions.sqlite3";
  public static final String FORMAT = "chroma-compactor/record-versions";
  public static final int VERSION = 1;

  private final Path file;
  private final Connection db;
  private final boolean writable;
  private final PreparedStatement find;
  private final PreparedStatement findDelta;
  private final PreparedStatement insertDelta;
  private final PreparedStatement write;
  private final PreparedStatement delete;
  private final Map<DeltaVersion, Long> deltaIds = new HashMap<>();

  private RecordVersions(Path file, Connection db, boolean writable) throws SQLException {
    this.file = file;
    this.db = db;
    this.writable = writable;
    this.find =
        db.prepareStatement(
            "SELECT w.sequence, w.delta_key, d.sequence, d.delta_key FROM record_version r"
                + " LEFT JOIN delta w ON w.id = r.written_by LEFT JOIN delta d ON d.id = r.deleted_by"
                + " WHERE r.collection = ? AND r.record_id = ?");
    this.findDelta =
        db.prepareStatement("SELECT id FROM delta WHERE delta_key = ? AND sequence = ?");
    if (writable) {
      insertDelta = db.prepareStatement("INSERT INTO delta(delta_key, sequence) VALUES (?, ?)");
      write =
          db.prepareStatement(
              "INSERT INTO record_version(collection, record_id, written_by) VALUES (?, ?, ?)"
                  + " ON CONFLICT(collection, record_id) DO UPDATE SET written_by = excluded.written_by");
      delete =
          db.prepareStatement(
              "INSERT INTO record_version(collection, record_id, deleted_by) VALUES (?, ?, ?)"
                  + " ON CONFLICT(collection, record_id) DO UPDATE SET deleted_by = excluded.deleted_by");
    } else {
      insertDelta = null;
      write = null;
      delete = null;
    }
  }

  /** A new, empty store at {@code file}, which must not exist. */
  public static RecordVersions create(Path file) throws IOException {
    if (Files.exists(file)) {
      throw new IOException(file + " already exists");
    }
    Connection db = null;
    try {
      db = writableConnection(file);
      try (Statement st = db.createStatement()) {
        st.execute("CREATE TABLE compactor_format(name TEXT NOT NULL, version INTEGER NOT NULL)");
        st.execute("INSERT INTO compactor_format VALUES ('" + FORMAT + "', " + VERSION + ")");
        st.execute(
            "CREATE TABLE delta(id INTEGER PRIMARY KEY, delta_key TEXT NOT NULL, sequence INTEGER NOT NULL,"
                + " UNIQUE(delta_key, sequence))");
        st.execute(
            "CREATE TABLE record_version(collection TEXT NOT NULL, record_id TEXT NOT NULL,"
                + " written_by INTEGER REFERENCES delta(id), deleted_by INTEGER REFERENCES delta(id),"
                + " PRIMARY KEY (collection, record_id)) WITHOUT ROWID");
      }
      db.commit();
      return new RecordVersions(file, db, true);
    } catch (SQLException e) {
      closeQuietly(db);
      throw new IOException("cannot create " + file + ": " + e.getMessage(), e);
    }
  }

  /** An existing store to extend (a copy of the base snapshot's), checked for its format. */
  public static RecordVersions openWritable(Path file) throws IOException {
    Connection db = null;
    try {
      db = writableConnection(file);
      checkFormat(file, db);
      return new RecordVersions(file, db, true);
    } catch (SQLException e) {
      closeQuietly(db);
      throw new IOException(file + ": not a readable " + FORMAT + " file: " + e.getMessage(), e);
    }
  }

  /** An existing store to look ids up in; the file is not changed (no journal, no lock). */
  public static RecordVersions openReadOnly(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": no such " + FORMAT + " file");
    }
    Connection db = null;
    try {
      db =
          DriverManager.getConnection(
              "jdbc:sqlite:file:" + file.toUri().getRawPath() + "?mode=ro&immutable=1");
      checkFormat(file, db);
      return new RecordVersions(file, db, false);
    } catch (SQLException e) {
      closeQuietly(db);
      throw new IOException(file + ": not a readable " + FORMAT + " file: " + e.getMessage(), e);
    }
  }

  private static Connection writableConnection(Path file) throws SQLException {
    Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
    try (Statement st = db.createStatement()) {
      // Scratch until the compaction publishes it: no fsync; the journal is kept in memory for
      // per-delta rollback.
      st.execute("PRAGMA synchronous=OFF");
      st.execute("PRAGMA journal_mode=MEMORY");
    }
    db.setAutoCommit(false);
    return db;
  }

  private static void checkFormat(Path file, Connection db) throws SQLException, IOException {
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT name, version FROM compactor_format")) {
      if (!rs.next()) {
        throw new IOException(file + ": compactor_format is empty");
      }
      String name = rs.getString(1);
      int version = rs.getInt(2);
      if (!FORMAT.equals(name) || version != VERSION) {
        throw new IOException(
            file
                + ": format expected "
                + FORMAT
                + " v"
                + VERSION
                + ", found "
                + name
                + " v"
                + version);
      }
    }
  }

  /** The id's last write and delete, or empty if no operation on it was ever recorded. */
  public Optional<RecordVersion> find(String collection, String id) throws IOException {
    try {
      find.setString(1, collection);
      find.setString(2, id);
      try (ResultSet rs = find.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new RecordVersion(version(rs, 1), version(rs, 3)));
      }
    } catch (SQLException e) {
      throw new IOException(
          file + ": looking up " + collection + "/" + id + ": " + e.getMessage(), e);
    }
  }

  private static DeltaVersion version(ResultSet rs, int column) throws SQLException {
    long sequence = rs.getLong(column);
    return rs.wasNull() ? null : new DeltaVersion(sequence, rs.getString(column + 1));
  }

  public void recordWrite(String collection, String id, DeltaVersion version) throws IOException {
    record(write, collection, id, version);
  }

  public void recordDelete(String collection, String id, DeltaVersion version) throws IOException {
    record(delete, collection, id, version);
  }

  private void record(
      PreparedStatement statement, String collection, String id, DeltaVersion version)
      throws IOException {
    requireWritable();
    try {
      statement.setString(1, collection);
      statement.setString(2, id);
      statement.setLong(3, deltaId(version));
      statement.executeUpdate();
    } catch (SQLException e) {
      throw new IOException(
          file + ": recording " + collection + "/" + id + " at " + version + ": " + e.getMessage(),
          e);
    }
  }

  private long deltaId(DeltaVersion version) throws SQLException {
    Long known = deltaIds.get(version);
    if (known != null) {
      return known;
    }
    findDelta.setString(1, version.deltaKey());
    findDelta.setLong(2, version.sequence());
    try (ResultSet rs = findDelta.executeQuery()) {
      if (rs.next()) {
        deltaIds.put(version, rs.getLong(1));
        return rs.getLong(1);
      }
    }
    insertDelta.setString(1, version.deltaKey());
    insertDelta.setLong(2, version.sequence());
    insertDelta.executeUpdate();
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT last_insert_rowid()")) {
      rs.next();
      deltaIds.put(version, rs.getLong(1));
      return rs.getLong(1);
    }
  }

  /** Starts one delta's changes. */
  public void begin() {
    requireWritable();
  }

  public void commit() throws IOException {
    requireWritable();
    try {
      db.commit();
    } catch (SQLException e) {
      throw new IOException(file + ": commit: " + e.getMessage(), e);
    }
  }

  /** Forgets what the current delta recorded since the last {@link #commit()}. */
  public void rollback() throws IOException {
    requireWritable();
    try {
      db.rollback();
      deltaIds.clear(); // a delta row inserted since the commit is gone too
    } catch (SQLException e) {
      throw new IOException(file + ": rollback: " + e.getMessage(), e);
    }
  }

  private void requireWritable() {
    if (!writable) {
      throw new IllegalStateException(file + " was opened read-only");
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (writable) {
        db.commit();
      }
      db.close();
    } catch (SQLException e) {
      throw new IOException(file + ": close: " + e.getMessage(), e);
    }
  }

  private static void closeQuietly(Connection db) {
    if (db != null) {
      try {
        db.close();
      } catch (SQLException ignored) {
        // the open already failed; that error is the one to report
      }
    }
  }

  /** An id's last write and last delete; either may be null (never written, or never deleted). */
  public record RecordVersion(DeltaVersion written, DeltaVersion deleted) {
    /** The later of the two: the id's last operation. */
    public DeltaVersion last() {
      return DeltaVersion.max(written, deleted);
    }
  }
}
