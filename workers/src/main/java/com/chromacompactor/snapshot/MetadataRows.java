package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.EmbeddingRecord;
import com.chromacompactor.chroma.QueueJson;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A record's rows in Chroma's metadata segment (format notes §6): one {@code embedding_metadata} row
 * per scalar key (the document and uri as {@code chroma:document} and {@code chroma:uri}), one {@code
 * embedding_metadata_array} row per array element in order, and the document in the FTS5 table
 * ({@code rowid = embeddings.id}). Floats are stored as Chroma stores them ({@link MetadataDoubles}).
 */
final class MetadataRows {
  private boolean floatsAsStored;
  private final PreparedStatement insertScalar;
  private final PreparedStatement insertArray;
  private final PreparedStatement insertFts;
  private final PreparedStatement readScalars;
  private final PreparedStatement readArrays;
  private final PreparedStatement deleteScalars;
  private final PreparedStatement deleteArrays;
  private final PreparedStatement deleteFts;

  MetadataRows(Connection db) throws SQLException {
    insertScalar = db.prepareStatement("INSERT INTO embedding_metadata (id, key, string_value, int_value,"
        + " float_value, bool_value) VALUES (?, ?, ?, ?, ?, ?)");
    insertArray = db.prepareStatement("INSERT INTO embedding_metadata_array (id, key, string_value, int_value,"
        + " float_value, bool_value) VALUES (?, ?, ?, ?, ?, ?)");
    insertFts = db.prepareStatement("INSERT INTO embedding_fulltext_search (rowid, string_value) VALUES (?, ?)");
    readScalars = db.prepareStatement("SELECT key, string_value, int_value, float_value, bool_value"
        + " FROM embedding_metadata WHERE id = ?");
    readArrays = db.prepareStatement("SELECT key, string_value, int_value, float_value, bool_value"
        + " FROM embedding_metadata_array WHERE id = ? ORDER BY rowid");
    deleteScalars = db.prepareStatement("DELETE FROM embedding_metadata WHERE id = ?");
    deleteArrays = db.prepareStatement("DELETE FROM embedding_metadata_array WHERE id = ?");
    deleteFts = db.prepareStatement("DELETE FROM embedding_fulltext_search WHERE rowid = ?");
  }

  /**
   * Writes the rows of {@code r}. Values equal to those in {@code previous} (already as Chroma stores
   * them) are written unchanged: Chroma merges an upsert's keys into the stored ones without
   * re-reading the old values.
   */
  void write(long rowId, EmbeddingRecord r, Map<String, Object> previous) throws SQLException {
    if (r.document() != null) {
      scalar(insertScalar, rowId, QueueJson.DOCUMENT_KEY, r.document());
      insertFts.setLong(1, rowId);
      insertFts.setString(2, r.document());
      insertFts.executeUpdate();
    }
    if (r.uri() != null) {
      scalar(insertScalar, rowId, QueueJson.URI_KEY, r.uri());
    }
    for (Map.Entry<String, Object> e : r.metadata().entrySet()) {
      Object v = e.getValue();
      boolean unchanged = previous != null && previous.containsKey(e.getKey())
          && Objects.equals(previous.get(e.getKey()), v);
      if (v instanceof List<?> list) {
        for (Object x : list) {
          scalar(insertArray, rowId, e.getKey(), unchanged ? x : asStored(x));
        }
      } else if (v != null) {
        scalar(insertScalar, rowId, e.getKey(), unchanged ? v : asStored(v));
      }
    }
  }

  /** Whether the next records' floats are already what Chroma stores (see SnapshotWriter#metadataAsStored). */
  void floatsAsStored(boolean asStored) {
    floatsAsStored = asStored;
  }

  private Object asStored(Object v) {
    return v instanceof Double d && !floatsAsStored ? MetadataDoubles.asChromaStores(d) : v;
  }

  private static void scalar(PreparedStatement ps, long rowId, String key, Object v) throws SQLException {
    ps.setLong(1, rowId);
    ps.setString(2, key);
    ps.setObject(3, v instanceof String ? v : null);
    ps.setObject(4, v instanceof Long || v instanceof Integer ? ((Number) v).longValue() : null);
    ps.setObject(5, v instanceof Double || v instanceof Float ? ((Number) v).doubleValue() : null);
    ps.setObject(6, v instanceof Boolean b ? (b ? 1 : 0) : null);
    ps.executeUpdate();
  }

  void delete(long rowId) throws SQLException {
    for (PreparedStatement ps : new PreparedStatement[] {deleteScalars, deleteArrays, deleteFts}) {
      ps.setLong(1, rowId);
      ps.executeUpdate();
    }
  }

  /** The record's document, uri and metadata (no vector). */
  EmbeddingRecord read(String id, long rowId) throws SQLException {
    String document = null;
    String uri = null;
    Map<String, Object> metadata = new LinkedHashMap<>();
    readScalars.setLong(1, rowId);
    try (ResultSet rs = readScalars.executeQuery()) {
      while (rs.next()) {
        String key = rs.getString(1);
        Object v = value(rs);
        if (QueueJson.DOCUMENT_KEY.equals(key)) {
          document = (String) v;
        } else if (QueueJson.URI_KEY.equals(key)) {
          uri = (String) v;
        } else if (!key.startsWith("chroma:")) {
          metadata.put(key, v);
        }
      }
    }
    readArrays.setLong(1, rowId);
    try (ResultSet rs = readArrays.executeQuery()) {
      while (rs.next()) {
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) metadata.computeIfAbsent(rs.getString(1), k -> new ArrayList<>());
        list.add(value(rs));
      }
    }
    return new EmbeddingRecord(id, new float[0], document, uri, metadata);
  }

  /** The one non-NULL value column: string, int, float, bool, in that order. */
  private static Object value(ResultSet rs) throws SQLException {
    String s = rs.getString(2);
    if (s != null) {
      return s;
    }
    long i = rs.getLong(3);
    if (!rs.wasNull()) {
      return i;
    }
    double f = rs.getDouble(4);
    if (!rs.wasNull()) {
      return f;
    }
    long b = rs.getLong(5);
    if (!rs.wasNull()) {
      return b != 0;
    }
    return null;
  }
}
