package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.chroma.hnsw.HnswSegmentReader;
import com.chromacompactor.chroma.hnsw.HnswSegmentWriter;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A previous snapshot as the start of a new one: its index folders, and whether it can be taken over. */
final class IndexedBase {
  /** Rows of the node table sent in one INSERT: a JSON parameter of about 300 KB. */
  private static final int ROWS_PER_INSERT = 8192;

  private static final JsonFactory JSON = new JsonFactory();

  private IndexedBase() {}

  /** A collection of a base that can be taken over: its description, live records and index (null if empty). */
  record Collection(CollectionInfo info, long records, HnswSegmentWriter.BaseIndex index) {}

  /**
   * The collections of {@code base} if the indexed writer can take its {@code chroma.sqlite3} over as
   * it stands: a compacted state this writer wrote (no queue, no {@code max_seq_id}, no WAL, collection
   * and segment ids derived as {@link CollectionSlot} derives them, every record in a collection's
   * metadata segment) and, per collection with records, an index that fits its parameters. Empty
   * otherwise (a queue-route snapshot, or one Chroma wrote), and the base is merged as a delta. A base
   * that is not a valid Chroma directory at all is refused, as any delta would be.
   */
  static Optional<List<Collection>> seedable(Path base) throws IOException {
    if (Files.exists(base.resolve(DeltaReader.SQLITE_FILE + "-wal"))) {
      return Optional.empty();
    }
    List<CollectionInfo> infos;
    try (DeltaReader reader = DeltaReader.open(base, DeltaOrigin.COMPACTOR)) {
      infos = reader.collections();
    }
    List<Collection> out = new ArrayList<>();
    try (Connection db = openReadOnly(base)) {
      if (count(db, "SELECT count(*) FROM embeddings_queue") > 0 || count(db, "SELECT count(*) FROM max_seq_id") > 0) {
        return Optional.empty();
      }
      long total = 0;
      for (CollectionInfo info : infos) {
        CollectionSlot derived = CollectionSlot.of(0, info);
        if (!derived.collectionId().equals(info.id()) || !derived.metadataSegmentId().equals(info.metadataSegmentId())
            || !derived.vectorSegmentId().equals(info.vectorSegmentId())) {
          return Optional.empty();
        }
        long records;
        try (PreparedStatement ps = db.prepareStatement("SELECT count(*) FROM embeddings WHERE segment_id = ?")) {
          ps.setString(1, info.metadataSegmentId());
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            records = rs.getLong(1);
          }
        }
        HnswSegmentWriter.BaseIndex index = null;
        if (records > 0) {
          if (info.dimension() == null) {
            return Optional.empty();
          }
          index = HnswSegmentWriter.openBase(base.resolve(info.vectorSegmentId()), info.hnsw(), info.dimension());
          if (index == null) {
            return Optional.empty();
          }
        }
        total += records;
        out.add(new Collection(info, records, index));
      }
      if (count(db, "SELECT count(*) FROM embeddings") != total) {
        return Optional.empty(); // rows outside the collections' metadata segments
      }
    } catch (SQLException e) {
      throw new IOException("reading the base snapshot " + base + ": " + e.getMessage(), e);
    }
    return Optional.of(out);
  }

  /**
   * Writes {@code scratch.<table>} (id → element and label) for the live, labelled elements of {@code
   * index}: the link between a record and its base element, built once per collection from the id map.
   * Rows cross into SQLite {@value #ROWS_PER_INSERT} at a time as one JSON array, bound as one parameter
   * and unpacked by {@code json_each}: binding three parameters per row cost more than SQLite spends
   * storing it (0.38 s for 50,000 rows in a fresh JVM). Elements go in order, so that should two live
   * elements carry one id, the later one, which is the record's, replaces the earlier.
   */
  static void writeNodeTable(Connection db, String table, HnswSegmentWriter.BaseIndex index)
      throws SQLException, IOException {
    writeNodeTable(db, table, index, ROWS_PER_INSERT);
  }

  /** As {@link #writeNodeTable(Connection, String, HnswSegmentWriter.BaseIndex)}, {@code rowsPerInsert} at a time. */
  static void writeNodeTable(Connection db, String table, HnswSegmentWriter.BaseIndex index, int rowsPerInsert)
      throws SQLException, IOException {
    try (Statement st = db.createStatement()) {
      st.execute("DROP TABLE IF EXISTS scratch." + table);
      st.execute("CREATE TABLE scratch." + table
          + " (id TEXT PRIMARY KEY, node INTEGER NOT NULL, label INTEGER NOT NULL) WITHOUT ROWID");
    }
    Map<Long, String> labelToId = index.ids().labelToId();
    HnswSegmentReader reader = index.reader();
    try (PreparedStatement insert = db.prepareStatement("INSERT OR REPLACE INTO scratch." + table
        + " (id, node, label) SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) ORDER BY key")) {
      StringWriter json = new StringWriter();
      JsonGenerator rows = startRows(json);
      int pending = 0;
      for (int i = 0; i < index.count(); i++) {
        long label = reader.label(i);
        String id = reader.isDeleted(i) ? null : labelToId.get(label);
        if (id == null) {
          continue;
        }
        rows.writeStartArray();
        rows.writeString(id);
        rows.writeNumber(i);
        rows.writeNumber(label);
        rows.writeEndArray();
        if (++pending == rowsPerInsert) {
          insertRows(insert, rows, json);
          rows = startRows(json);
          pending = 0;
        }
      }
      if (pending > 0) {
        insertRows(insert, rows, json);
      }
    }
  }

  /** Empties {@code json} and opens the array of the next statement's rows in it. */
  private static JsonGenerator startRows(StringWriter json) throws IOException {
    json.getBuffer().setLength(0);
    JsonGenerator rows = JSON.createGenerator(json);
    rows.writeStartArray();
    return rows;
  }

  private static void insertRows(PreparedStatement insert, JsonGenerator rows, StringWriter json)
      throws SQLException, IOException {
    rows.writeEndArray();
    rows.close();
    insert.setString(1, json.toString());
    insert.executeUpdate();
  }

  /** A collection's index folder in a previous snapshot (by tenant, database and name), or null. */
  static HnswSegmentWriter.BaseIndex find(Path base, CollectionSlot slot, int dimension) throws IOException {
    Path sqlite = base.resolve(DeltaReader.SQLITE_FILE);
    if (!Files.isRegularFile(sqlite)) {
      return null;
    }
    String segment;
    try (Connection db = openReadOnly(base);
        PreparedStatement ps = db.prepareStatement("SELECT s.id FROM collections c JOIN databases d"
            + " ON d.id = c.database_id JOIN segments s ON s.collection = c.id AND s.scope = 'VECTOR'"
            + " WHERE c.name = ? AND d.name = ? AND d.tenant_id = ?")) {
      ps.setString(1, slot.key().name());
      ps.setString(2, slot.key().database());
      ps.setString(3, slot.key().tenant());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        segment = rs.getString(1);
      }
    } catch (SQLException e) {
      throw new IOException("reading the base snapshot " + base + ": " + e.getMessage(), e);
    }
    return HnswSegmentWriter.openBase(base.resolve(segment), slot.hnsw(), dimension);
  }

  private static Connection openReadOnly(Path base) throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:file:" + base.resolve(DeltaReader.SQLITE_FILE).toUri().getRawPath()
        + "?mode=ro&immutable=1");
  }

  private static long count(Connection db, String sql) throws SQLException {
    try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
