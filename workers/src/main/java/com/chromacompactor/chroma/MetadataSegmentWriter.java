package com.chromacompactor.chroma;

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
 * A metadata segment's rows as a target's release writes them (docs/chroma-format.md, "Metadata
 * segment"): one {@code embeddings} row per record (its {@code seq_id} 0, in the target's
 * encoding), one {@code embedding_metadata} row per scalar key (the document and uri as {@code
 * chroma:document} and {@code chroma:uri}), one {@code embedding_metadata_array} row per array
 * element in order (1.5 only), and the document in the FTS5 table ({@code rowid = embeddings.id}).
 * Floats are stored as the target stores an upserted value ({@link FloatText#stored}).
 */
public final class MetadataSegmentWriter {
  /** When a record's document reaches the full-text table. */
  public enum FullText {
    /**
     * With the record's other rows: the table stays right after every write (a file that holds rows
     * already).
     */
    WITH_EACH_RECORD,
    /**
     * Once, by {@link #writeFullText}, from the {@code chroma:document} rows of the finished
     * segments: for a new file, whose records are written, rewritten and deleted many times during
     * a merge. FTS5 otherwise tokenizes every document written and every one replaced (a trigram
     * per character), and writes a new index segment at every commit; one bulk load at the end does
     * each live document once.
     */
    AT_THE_END
  }

  private final ChromaTarget target;
  private final FullText fullText;
  private final Object zeroSeqId;
  private boolean floatsAsStored;
  private final PreparedStatement findRow;
  private final PreparedStatement insertRow;
  private final PreparedStatement lastRow;
  private final PreparedStatement deleteRow;
  private final PreparedStatement insertScalar;
  private final PreparedStatement insertArray;
  private final PreparedStatement insertFts;
  private final PreparedStatement readScalars;
  private final PreparedStatement readArrays;
  private final PreparedStatement deleteScalars;
  private final PreparedStatement deleteArrays;
  private final PreparedStatement deleteFts;
  private final Connection db;

  public MetadataSegmentWriter(Connection db, ChromaTarget target, FullText fullText)
      throws SQLException {
    this.target = target;
    this.fullText = fullText;
    this.db = db;
    this.zeroSeqId = target.format().seqIds().encode(0);
    boolean arrays = target.format().holdsArrays();
    findRow =
        db.prepareStatement("SELECT id FROM embeddings WHERE segment_id = ? AND embedding_id = ?");
    insertRow =
        db.prepareStatement(
            "INSERT INTO embeddings (segment_id, embedding_id, seq_id) VALUES (?, ?, ?)");
    lastRow = db.prepareStatement("SELECT last_insert_rowid()");
    deleteRow = db.prepareStatement("DELETE FROM embeddings WHERE id = ?");
    insertScalar =
        db.prepareStatement(
            "INSERT INTO embedding_metadata (id, key, string_value, int_value,"
                + " float_value, bool_value) VALUES (?, ?, ?, ?, ?, ?)");
    insertArray =
        arrays
            ? db.prepareStatement(
                "INSERT INTO embedding_metadata_array (id, key, string_value,"
                    + " int_value, float_value, bool_value) VALUES (?, ?, ?, ?, ?, ?)")
            : null;
    insertFts =
        db.prepareStatement(
            "INSERT INTO embedding_fulltext_search (rowid, string_value) VALUES (?, ?)");
    readScalars =
        db.prepareStatement(
            "SELECT key, string_value, int_value, float_value, bool_value"
                + " FROM embedding_metadata WHERE id = ?");
    readArrays =
        arrays
            ? db.prepareStatement(
                "SELECT key, string_value, int_value, float_value, bool_value"
                    + " FROM embedding_metadata_array WHERE id = ? ORDER BY rowid")
            : null;
    deleteScalars = db.prepareStatement("DELETE FROM embedding_metadata WHERE id = ?");
    deleteArrays =
        arrays ? db.prepareStatement("DELETE FROM embedding_metadata_array WHERE id = ?") : null;
    deleteFts = db.prepareStatement("DELETE FROM embedding_fulltext_search WHERE rowid = ?");
  }

  /** The {@code embeddings.id} of record {@code id} in the segment, or -1. */
  public long find(String metadataSegmentId, String id) throws SQLException {
    findRow.setString(1, metadataSegmentId);
    findRow.setString(2, id);
    try (ResultSet rs = findRow.executeQuery()) {
      return rs.next() ? rs.getLong(1) : -1;
    }
  }

  /** Adds a record's {@code embeddings} row and returns its id (rows: {@link #write}). */
  public long insert(String metadataSegmentId, String id) throws SQLException {
    insertRow.setString(1, metadataSegmentId);
    insertRow.setString(2, id);
    insertRow.setObject(3, zeroSeqId);
    insertRow.executeUpdate();
    try (ResultSet rs = lastRow.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Removes a record: its {@code embeddings} row and every metadata and full-text row. */
  public void deleteRecord(long rowId) throws SQLException {
    deleteValues(rowId);
    deleteRow.setLong(1, rowId);
    deleteRow.executeUpdate();
  }

  /** Removes the metadata and full-text rows of a record, keeping its {@code embeddings} row. */
  public void deleteValues(long rowId) throws SQLException {
    PreparedStatement fts = fullText == FullText.WITH_EACH_RECORD ? deleteFts : null;
    for (PreparedStatement ps : new PreparedStatement[] {deleteScalars, deleteArrays, fts}) {
      if (ps != null) {
        ps.setLong(1, rowId);
        ps.executeUpdate();
      }
    }
  }

  /**
   * Writes the rows of {@code r} (of {@code collection}). Values equal to those in {@code previous}
   * (already as Chroma stores them) are written unchanged: Chroma merges an upsert's keys into the
   * stored ones without re-reading the old values.
   *
   * @throws UnsupportedRecordException when the target cannot hold the record (array metadata below
   *     1.5)
   */
  public void write(
      CollectionKey collection, long rowId, EmbeddingRecord r, Map<String, Object> previous)
      throws SQLException, UnsupportedRecordException {
    UnsupportedRecordException.check(target, collection, r);
    if (r.document() != null) {
      scalar(insertScalar, rowId, QueueJson.DOCUMENT_KEY, r.document());
      if (fullText == FullText.WITH_EACH_RECORD) {
        insertFts.setLong(1, rowId);
        insertFts.setString(2, r.document());
        insertFts.executeUpdate();
      }
    }
    if (r.uri() != null) {
      scalar(insertScalar, rowId, QueueJson.URI_KEY, r.uri());
    }
    for (Map.Entry<String, Object> e : r.metadata().entrySet()) {
      Object v = e.getValue();
      boolean unchanged =
          previous != null
              && previous.containsKey(e.getKey())
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

  /**
   * Ends the writing: with {@link FullText#AT_THE_END}, every document of the file's metadata
   * segments goes into the full-text table, in row order. Called once, after the last record,
   * before the file is finished.
   */
  public void finish() throws SQLException {
    if (fullText != FullText.AT_THE_END) {
      return; // written with each record
    }
    try (PreparedStatement ps =
        db.prepareStatement(
            "INSERT INTO embedding_fulltext_search (rowid, string_value)"
                + " SELECT id, string_value FROM embedding_metadata WHERE key = ? ORDER BY id")) {
      ps.setString(1, QueueJson.DOCUMENT_KEY);
      ps.executeUpdate();
    }
  }

  /**
   * Whether the next records' floats are already what the target stores (a compactor output of the
   * same release family, whose metadata segment went through that release's parse), rather than a
   * value the target would still store anew.
   */
  public void floatsAsStored(boolean asStored) {
    floatsAsStored = asStored;
  }

  private Object asStored(Object v) {
    return v instanceof Double d && !floatsAsStored ? target.format().floats().stored(d) : v;
  }

  private static void scalar(PreparedStatement ps, long rowId, String key, Object v)
      throws SQLException {
    ps.setLong(1, rowId);
    ps.setString(2, key);
    ps.setObject(3, v instanceof String ? v : null);
    ps.setObject(4, v instanceof Long || v instanceof Integer ? ((Number) v).longValue() : null);
    ps.setObject(5, v instanceof Double || v instanceof Float ? ((Number) v).doubleValue() : null);
    ps.setObject(6, v instanceof Boolean b ? (b ? 1 : 0) : null);
    ps.executeUpdate();
  }

  /** The record's document, uri and metadata (no vector). */
  public EmbeddingRecord read(String id, long rowId) throws SQLException {
    String document = null;
    String uri = null;
    Map<String, Object> metadata = new LinkedHashMap<>();
    readScalars.setLong(1, rowId);
    try (ResultSet rs = readScalars.executeQuery()) {
      while (rs.next()) {
        String key = rs.getString(1);
        Object v = MetadataColumns.value(rs, 2);
        if (QueueJson.DOCUMENT_KEY.equals(key)) {
          document = (String) v;
        } else if (QueueJson.URI_KEY.equals(key)) {
          uri = (String) v;
        } else if (!key.startsWith("chroma:")) {
          metadata.put(key, v);
        }
      }
    }
    if (readArrays != null) {
      readArrays.setLong(1, rowId);
      try (ResultSet rs = readArrays.executeQuery()) {
        Map<String, List<Object>> lists = new LinkedHashMap<>();
        while (rs.next()) {
          lists
              .computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
              .add(MetadataColumns.value(rs, 2));
        }
        lists.forEach((k, v) -> metadata.put(k, List.copyOf(v)));
      }
    }
    return new EmbeddingRecord(id, new float[0], document, uri, metadata);
  }
}
