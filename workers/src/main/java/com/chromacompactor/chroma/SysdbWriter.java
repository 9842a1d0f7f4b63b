package com.chromacompactor.chroma;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chroma's schema and sysdb rows as a release family writes them (docs/chroma-format.md, "Writing a
 * directory"): the control tables, the family's migrations replayed byte for byte and recorded in
 * its order, the queue configuration row, and per collection its {@code collections}, {@code
 * segments}, {@code collection_metadata} and (0.x) vector {@code segment_metadata} rows, with a
 * tenant and database row outside the default database.
 */
public final class SysdbWriter {
  public static final String DEFAULT_DATABASE_ID = "00000000-0000-0000-0000-000000000000";
  public static final String VECTOR_SEGMENT = "urn:chroma:segment/vector/hnsw-local-persisted";
  public static final String METADATA_SEGMENT = "urn:chroma:segment/metadata/sqlite";

  private SysdbWriter() {}

  /** One collection as the sysdb rows hold it. {@code dimension} is null while it has no vector. */
  public record CollectionRow(
      CollectionKey key,
      String collectionId,
      String metadataSegmentId,
      String vectorSegmentId,
      Integer dimension,
      HnswConfig hnsw,
      ConfigSources sources) {}

  /** Chroma's schema exactly as a release of {@code format} creates it. */
  public static void createSchema(Connection db, ChromaFormat format) throws SQLException {
    try (Statement st = db.createStatement()) {
      if (format.acquireWriteDdl() != null) {
        st.executeUpdate(format.acquireWriteDdl());
        st.executeUpdate("INSERT INTO acquire_write (lock_status) VALUES (1)");
      }
      st.executeUpdate(format.migrationsTableDdl());
      try (PreparedStatement ps =
          db.prepareStatement(
              "INSERT INTO migrations (dir, version, filename, sql, hash) VALUES (?, ?, ?, ?, ?)")) {
        for (Migration m :
            ChromaMigrations.of(format.newestMigrationSet(), format.migrationOrder())) {
          st.executeUpdate(m.sql());
          ps.setString(1, m.dir());
          ps.setInt(2, m.version());
          ps.setString(3, m.filename());
          ps.setString(4, m.sql());
          ps.setString(5, ChromaMigrations.md5(m.sql()));
          ps.executeUpdate();
        }
      }
      if (format.queueConfigJson() != null) {
        try (PreparedStatement ps =
            db.prepareStatement(
                "INSERT INTO embeddings_queue_config (config_json_str) VALUES (?)")) {
          ps.setString(1, format.queueConfigJson());
          ps.executeUpdate();
        }
      }
    }
  }

  /**
   * Removes the sysdb rows of every collection (and of the databases and tenants besides the
   * default), so that {@link #writeCollection} can write them anew over a copy of a previous
   * snapshot.
   */
  public static void clearCollections(Connection db) throws SQLException {
    try (Statement st = db.createStatement()) {
      st.executeUpdate("DELETE FROM collection_metadata");
      st.executeUpdate("DELETE FROM segment_metadata");
      st.executeUpdate("DELETE FROM segments");
      st.executeUpdate("DELETE FROM collections");
      st.executeUpdate("DELETE FROM databases WHERE id <> '" + DEFAULT_DATABASE_ID + "'");
      st.executeUpdate("DELETE FROM tenants WHERE id <> '" + CollectionKey.DEFAULT_TENANT + "'");
    }
  }

  /**
   * The sysdb rows of one collection in {@code format}'s form; {@code databases} remembers the
   * database rows already written.
   */
  public static void writeCollection(
      Connection db, ChromaFormat format, CollectionRow c, Set<String> databases)
      throws SQLException {
    CollectionConfigForm.CollectionColumns columns =
        format.configuration().write(c.hnsw(), c.sources());
    MigrationSet set = format.newestMigrationSet();
    String databaseId = databaseId(db, c.key(), databases);
    try (PreparedStatement ps =
        db.prepareStatement(
            "INSERT INTO collections (id, name, dimension, database_id"
                + (set.hasConfigJson() ? ", config_json_str" : "")
                + (set.hasSchema() ? ", schema_str" : "")
                + ") VALUES (?, ?, ?, ?"
                + (set.hasConfigJson() ? ", ?" : "")
                + (set.hasSchema() ? ", ?" : "")
                + ")")) {
      ps.setString(1, c.collectionId());
      ps.setString(2, c.key().name());
      if (c.dimension() == null) {
        ps.setNull(3, Types.INTEGER);
      } else {
        ps.setInt(3, c.dimension());
      }
      ps.setString(4, databaseId);
      int next = 5;
      if (set.hasConfigJson()) {
        ps.setString(next++, columns.configJson());
      }
      if (set.hasSchema()) {
        ps.setString(next, columns.schemaJson());
      }
      ps.executeUpdate();
    }
    try (PreparedStatement ps =
        db.prepareStatement(
            "INSERT INTO segments (id, type, scope, collection) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, c.vectorSegmentId());
      ps.setString(2, VECTOR_SEGMENT);
      ps.setString(3, "VECTOR");
      ps.setString(4, c.collectionId());
      ps.executeUpdate();
      ps.setString(1, c.metadataSegmentId());
      ps.setString(2, METADATA_SEGMENT);
      ps.setString(3, "METADATA");
      ps.executeUpdate();
    }
    writeMetadata(
        db,
        "INSERT INTO collection_metadata (collection_id, key, str_value, int_value, float_value,"
            + " bool_value) VALUES (?, ?, ?, ?, ?, ?)",
        c.collectionId(),
        columns.metadata());
    writeMetadata(
        db,
        "INSERT INTO segment_metadata (segment_id, key, str_value, int_value, float_value,"
            + " bool_value) VALUES (?, ?, ?, ?, ?, ?)",
        c.vectorSegmentId(),
        columns.vectorSegmentMetadata());
  }

  /**
   * Marks a compacted snapshot's collections as applied up to {@link ChromaFormat#appliedSeqId()}:
   * for 0.x, {@code max_seq_id} rows at 1 for both segments of every collection and one applied
   * queue row at seq 1 (a DELETE of the empty id, which no record can have; no reader replays it,
   * since every segment is at 1). For 1.x, nothing: no rows at all. Replaces whatever a copied base
   * held.
   */
  public static void markApplied(
      Connection db, ChromaFormat format, List<CollectionRow> collections, String createdAt)
      throws SQLException {
    long applied = format.appliedSeqId();
    try (Statement st = db.createStatement()) {
      st.executeUpdate("DELETE FROM max_seq_id");
      st.executeUpdate("DELETE FROM embeddings_queue WHERE seq_id <= " + applied);
    }
    if (applied == 0 || collections.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        db.prepareStatement("INSERT INTO max_seq_id (segment_id, seq_id) VALUES (?, ?)")) {
      for (CollectionRow c : collections) {
        for (String segment : List.of(c.metadataSegmentId(), c.vectorSegmentId())) {
          ps.setString(1, segment);
          ps.setObject(2, format.seqIds().encode(applied));
          ps.executeUpdate();
        }
      }
    }
    try (PreparedStatement ps =
        db.prepareStatement(
            "INSERT INTO embeddings_queue (seq_id, created_at, operation,"
                + " topic, id, vector, encoding, metadata) VALUES (?, ?, 3, ?, '', NULL, NULL, NULL)")) {
      ps.setLong(1, applied);
      ps.setString(2, createdAt);
      ps.setString(3, DeltaReader.TOPIC_PREFIX + collections.get(0).collectionId());
      ps.executeUpdate();
    }
  }

  private static void writeMetadata(
      Connection db, String insert, String owner, Map<String, Object> metadata)
      throws SQLException {
    try (PreparedStatement ps = db.prepareStatement(insert)) {
      for (Map.Entry<String, Object> e : metadata.entrySet()) {
        ps.setString(1, owner);
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

  /**
   * The default database exists already (migration sysdb 4); others get a tenant and database row.
   */
  private static String databaseId(Connection db, CollectionKey key, Set<String> written)
      throws SQLException {
    if (CollectionKey.DEFAULT_TENANT.equals(key.tenant())
        && CollectionKey.DEFAULT_DATABASE.equals(key.database())) {
      return DEFAULT_DATABASE_ID;
    }
    String id = new CollectionKey(key.tenant(), key.database(), "").derivedUuid("database");
    if (!written.add(id)) {
      return id;
    }
    try (PreparedStatement t =
            db.prepareStatement("INSERT OR IGNORE INTO tenants (id) VALUES (?)");
        PreparedStatement d =
            db.prepareStatement("INSERT INTO databases (id, name, tenant_id) VALUES (?, ?, ?)")) {
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
