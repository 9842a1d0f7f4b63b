package com.chromacompactor.chroma;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.chromacompactor.testing.Scenario;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChromaMigrationsTest {
  @Test
  void eighteenScriptsWithTheHashesChromaRecords() {
    List<Migration> all = ChromaMigrations.all();
    assertEquals(18, all.size());
    for (Migration m : all) {
      assertEquals(m.md5(), ChromaMigrations.md5(m.sql()), m.dir() + " v" + m.version());
    }
    assertEquals("sysdb", all.get(0).dir());
    assertEquals("embeddings_queue", all.get(17).dir());
  }

  @Test
  void snapshotRecordsTheSameMigrationRowsAsChromaItself() throws Exception {
    Scenario s = Scenario.get();
    assertEquals(rows(s.delta("00-base")), rows(s.snapshot));
  }

  private static List<String> rows(Path dir) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("chroma.sqlite3"));
        Statement st = db.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT dir, version, filename, sql, hash FROM migrations ORDER BY rowid")) {
      while (rs.next()) {
        out.add(
            rs.getString(1)
                + "|"
                + rs.getInt(2)
                + "|"
                + rs.getString(3)
                + "|"
                + rs.getString(4)
                + "|"
                + rs.getString(5));
      }
    }
    assertEquals(18, out.size(), dir + ": migration rows");
    return out;
  }
}
