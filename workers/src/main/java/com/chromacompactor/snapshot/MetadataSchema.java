package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.ChromaMigrations;
import com.chromacompactor.chroma.CollectionKey;
import com.chromacompactor.chroma.Migration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chroma's schema and sysdb rows, shared by the snapshot writers that build their own SQLite file:
 * the 18 migrations replayed byte for byte and recorded, the queue configuration, and per collection
 * its {@code collections}, {@code segments} and {@code collection_metadata} rows (plus a tenant and
 * database row outside the default database). The same rows {@link QueueSnapshotWriter} writes.
 */
final class MetadataSchema {
  static final String DEFAULT_DATABASE_ID = "00000000-0000-0000-0000-000000000000";
  static final String VECTOR_SEGMENT = "urn:chroma:segment/vector/hnsw-local-persisted";
  static final String METADATA_SEGMENT = "urn:chroma:segment/metadata/sqlite";
  private static final String QUEUE_CONFIG =
      "{\"automatically_purge\":true,\"_type\":\"EmbeddingsQueueConfigurationInternal\"}";

  private MetadataSchema() {}

  /**
   * Creates a snapshot's {@code chroma.sqlite3} with Chroma's schema, and attaches {@code scratch} (a
   * private SQLite file, created anew with {@code scratchTableDdl}) as {@code scratch}, for the writer's
   * id index. The connection is returned in manual-commit mode; on failure it is closed.
   */
  static Connection openNew(Path sqlite, Path scratch, String scratchTableDdl) throws IOException {
    return open(sqlite, scratch, scratchTableDdl, true);
  }

  /**
   * Opens a snapshot's {@code chroma.sqlite3} that already has Chroma's schema (a copy of a previous
   * snapshot's), otherwise as {@link #openNew}.
   */
  static Connection openCopy(Path sqlite, Path scratch, String scratchTableDdl) throws IOException {
    return open(sqlite, scratch, scratchTableDdl, false);
  }

  private static Connection open(Path sqlite, Path scratch, String scratchTableDdl, boolean withSchema)
      throws IOException {
    Connection db = null;
    boolean success = false;
    try {
      Files.deleteIfExists(scratch);
      db = DriverManager.getConnection("jdbc:sqlite:" + sqlite);
      try (Statement st = db.createStatement()) {
        // The folder is private until it is renamed into place; a crash discards it, so the
        // build needs no fsyncs. The rollback journal stays, for per-delta rollback.
        st.execute("PRAGMA synchronous=OFF");
        st.execute("PRAGMA journal_mode=TRUNCATE");
        st.execute("PRAGMA foreign_keys=OFF");
        st.execute("ATTACH DATABASE '" + scratch.toString().replace("'", "''") + "' AS scratch");
        st.execute("PRAGMA scratch.journal_mode=TRUNCATE");
        st.execute("PRAGMA scratch.synchronous=OFF");
        st.execute(scratchTableDdl);
      }
      db.setAutoCommit(false);
      if (withSchema) {
        write(db);
      }
      db.commit();
      success = true;
      return db;
    } catch (SQLException e) {
      throw new IOException("creating snapshot " + sqlite + ": " + e.getMessage(), e);
    } finally {
      if (!success) {
        closeQuietly(db);
      }
    }
  }

  /** Closes after a failure that is the one to report. */
  static void closeQuietly(Connection db) {
    if (db != null) {
      try {
        db.close();
      } catch (SQLException suppressed) {
        // the earlier failure is the one to report
      }
    }
  }

  /** Chroma's schema exactly as Chroma creates it: migrations replayed verbatim and recorded. */
  static void write(Connection db) throws SQLException {
    try (Statement st = db.createStatement()) {
      st.executeUpdate("CREATE TABLE IF NOT EXISTS migrations (dir TEXT NOT NULL, version INTEGER NOT NULL,"
          + " filename TEXT NOT NULL, sql TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (dir, version))");
      st.executeUpdate("CREATE TABLE IF NOT EXISTS acquire_write (id INTEGER PRIMARY KEY,"
          + " lock_status INTEGER NOT NULL)");
      st.executeUpdate("INSERT INTO acquire_write (lock_status) VALUES (1)");
      try (PreparedStatement ps = db.prepareStatement(
          "INSERT INTO migrations (dir, version, filename, sql, hash) VALUES (?, ?, ?, ?, ?)")) {
        for (Migration m : ChromaMigrations.all()) {
          st.executeUpdate(m.sql());
          ps.setString(1, m.dir());
          ps.setInt(2, m.version());
          ps.setString(3, m.filename());
          ps.setString(4, m.sql());
          ps.setString(5, ChromaMigrations.md5(m.sql()));
          ps.executeUpdate();
        }
      }
      try (PreparedStatement ps = db.prepareStatement(
          "INSERT INTO embeddings_queue_config (config_json_str) VALUES (?)")) {
        ps.setString(1, QUEUE_CONFIG);
        ps.executeUpdate();
      }
    }
  }

  /**
   * Removes the sysdb rows of every collection (and of the databases and tenants besides the default),
   * so that {@link #writeCollections} can write them anew over a copy of a previous snapshot.
   */
  static void clearCollections(Connection db) throws SQLException {
    try (Statement st = db.createStatement()) {
      st.executeUpdate("DELETE FROM collection_metadata");
      st.executeUpdate("DELETE FROM segment_metadata");
      st.executeUpdate("DELETE FROM segments");
      st.executeUpdate("DELETE FROM collections");
      st.executeUpdate("DELETE FROM databases WHERE id <> '" + DEFAULT_DATABASE_ID + "'");
      st.executeUpdate("DELETE FROM tenants WHERE id <> '" + CollectionKey.DEFAULT_TENANT + "'");
    }
  }

  /** The sysdb rows of every collection. */
  static void writeCollections(Connection db, List<CollectionDefinition> collections) throws SQLException {
    Set<String> databases = new HashSet<>();
    for (CollectionDefinition c : collections) {
      writeCollection(db, c, databases);
    }
  }

  private static void writeCollection(Connection db, CollectionDefinition c, Set<String> databases)
      throws SQLException {
    CollectionKey key = c.slot().key();
    String databaseId = databaseId(db, key, databases);
    try (PreparedStatement ps = db.prepareStatement("INSERT INTO collections (id, name, dimension,"
        + " database_id, config_json_str, schema_str) VALUES (?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, c.slot().collectionId());
      ps.setString(2, key.name());
      if (c.dimension() == null) {
        ps.setNull(3, java.sql.Types.INTEGER);
      } else {
        ps.setInt(3, c.dimension());
      }
      ps.setString(4, databaseId);
      ps.setString(5, c.configJson());
      ps.setString(6, c.schemaJson());
      ps.executeUpdate();
    }
    try (PreparedStatement ps = db.prepareStatement(
        "INSERT INTO segments (id, type, scope, collection) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, c.slot().vectorSegmentId());
      ps.setString(2, VECTOR_SEGMENT);
      ps.setString(3, "VECTOR");
      ps.setString(4, c.slot().collectionId());
      ps.executeUpdate();
      ps.setString(1, c.slot().metadataSegmentId());
      ps.setString(2, METADATA_SEGMENT);
      ps.setString(3, "METADATA");
      ps.executeUpdate();
    }
    try (PreparedStatement ps = db.prepareStatement("INSERT INTO collection_metadata (collection_id, key,"
        + " str_value, int_value, float_value, bool_value) VALUES (?, ?, ?, ?, ?, ?)")) {
      for (Map.Entry<String, Object> e : c.metadata().entrySet()) {
        ps.setString(1, c.slot().collectionId());
        ps.setString(2, e.getKey());
        Object v = e.getValue();
        ps.setObject(3, v instanceof String ? v : null);
        ps.setObject(4, v instanceof Long ? v : null);
        ps.setObject(5, v instanceof Double ? v : null);
        ps.setObject(6, v instanceof Boolean b ? (b ? 1 : 0) : null);
        ps.executeUpdate();
      }
    }
  }

  /** The default database exists already (migration sysdb 4); others get a tenant and database row. */
  private static String databaseId(Connection db, CollectionKey key, Set<String> written) throws SQLException {
    if (CollectionKey.DEFAULT_TENANT.equals(key.tenant()) && CollectionKey.DEFAULT_DATABASE.equals(key.database())) {
      return DEFAULT_DATABASE_ID;
    }
    String id = CollectionSlot.uuid("database", new CollectionKey(key.tenant(), key.database(), ""));
    if (!written.add(id)) {
      return id;
    }
    try (PreparedStatement t = db.prepareStatement("INSERT OR IGNORE INTO tenants (id) VALUES (?)");
        PreparedStatement d = db.prepareStatement("INSERT INTO databases (id, name, tenant_id) VALUES (?, ?, ?)")) {
      t.setString(1, key.tenant());
      t.executeUpdate();
      d.setString(1, id);
      d.setString(2, key.database());
      d.setString(3, key.tenant());
      d.executeUpdate();
    }
    return id;
  }
}
