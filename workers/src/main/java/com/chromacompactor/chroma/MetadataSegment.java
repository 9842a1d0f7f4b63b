package com.chromacompactor.chroma;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Queries of a metadata segment's rows that both the reader and the snapshot writers ask. */
public final class MetadataSegment {
  private MetadataSegment() {}

  /** The records of a metadata segment: its {@code embeddings} rows. */
  public static long count(Connection db, String metadataSegmentId) throws SQLException {
    try (PreparedStatement ps =
        db.prepareStatement("SELECT count(*) FROM embeddings WHERE segment_id = ?")) {
      ps.setString(1, metadataSegmentId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
