package com.chromacompactor.chroma;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Chroma's metadata tables hold one value in one of four columns (string, int, float, bool, in that
 * order from {@code first}); exactly one is non-NULL.
 */
final class MetadataColumns {
  private MetadataColumns() {}

  static Object value(ResultSet rs, int first) throws SQLException {
    String s = rs.getString(first);
    if (s != null) {
      return s;
    }
    long i = rs.getLong(first + 1);
    if (!rs.wasNull()) {
      return i;
    }
    double f = rs.getDouble(first + 2);
    if (!rs.wasNull()) {
      return f;
    }
    long b = rs.getLong(first + 3);
    if (!rs.wasNull()) {
      return b != 0;
    }
    return null;
  }
}
