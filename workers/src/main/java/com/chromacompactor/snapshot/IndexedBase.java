package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.chroma.hnsw.HnswSegmentWriter;
import java.io.IOException;
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
import java.util.Optional;

/** A previous snapshot as the start of a new one: its index folders, and whether it can be taken over. */
final class IndexedBase {
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
