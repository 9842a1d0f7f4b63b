package com.chromacompactor.snapshot;

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

/** Finds a collection's index folder in a previous snapshot (by tenant, database and name). */
final class IndexedBase {
  private IndexedBase() {}

  static HnswSegmentWriter.BaseIndex find(Path base, CollectionSlot slot, int dimension) throws IOException {
    Path sqlite = base.resolve(DeltaReader.SQLITE_FILE);
    if (!Files.isRegularFile(sqlite)) {
      return null;
    }
    String segment;
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:file:" + sqlite + "?mode=ro", withReadOnly());
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

  private static java.util.Properties withReadOnly() {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("open_mode", "1"); // SQLITE_OPEN_READONLY
    return p;
  }
}
