package com.chromacompactor.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.chromacompactor.chroma.HnswConfig;
import com.chromacompactor.chroma.Space;
import com.chromacompactor.chroma.hnsw.HnswSegmentFormat;
import com.chromacompactor.chroma.hnsw.HnswSegmentWriter;
import com.chromacompactor.chroma.hnsw.IdLabelPickleWriter;
import com.chromacompactor.hnsw.HnswBuilder;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexedBaseTest {

  /**
   * The node table of a base index, sent a few rows at a time so that the rows span several
   * statements: every live, labelled element by its id, with ids that need escaping in JSON, an id
   * carried by two live elements (the later one wins), a deleted element and one the id map omits.
   */
  @Test
  void theNodeTableHoldsEveryLiveLabelledElementByItsId(@TempDir Path dir) throws Exception {
    int n = 50;
    int dim = 4;
    Path folder = dir.resolve("seg");
    try (HnswSegmentWriter w = HnswSegmentWriter.create(folder, new HnswConfig(Space.L2, 4, 20, 20), dim, n)) {
      for (int i = 0; i < n; i++) {
        w.setElement(i, 100 + i, new float[] {i, i % 3, i % 5, 1});
      }
      new HnswBuilder(w.graph()).build(n, 1);
      w.graph().markDeleted(33);
      w.finish();
    }
    Map<Long, String> ids = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      ids.put(100L + i, "id-" + i + (i % 2 == 0 ? "-\"quoted\\\"-é-\u0001" : ""));
    }
    ids.put(110L, "twice");
    ids.put(140L, "twice");
    ids.remove(120L);
    IdLabelPickleWriter.write(folder.resolve(HnswSegmentFormat.PICKLE), 100 + n, visitor -> {
      for (Map.Entry<Long, String> e : ids.entrySet()) {
        visitor.accept(e.getValue(), e.getKey());
      }
    });
    HnswSegmentWriter.BaseIndex base = HnswSegmentWriter.openBase(folder, new HnswConfig(Space.L2, 4, 20, 20), dim);

    Map<String, String> expected = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      String id = ids.get(100L + i);
      if (i != 33 && id != null) {
        expected.put(id, i + "/" + (100 + i));
      }
    }
    assertEquals(n - 3, expected.size(), "one deleted, one without an id, one id twice");
    assertEquals("40/140", expected.get("twice"));

    try (Connection db = DriverManager.getConnection("jdbc:sqlite::memory:")) {
      try (Statement st = db.createStatement()) {
        st.execute("ATTACH DATABASE ':memory:' AS scratch");
      }
      IndexedBase.writeNodeTable(db, "nodes", base, 7);
      Map<String, String> got = new TreeMap<>();
      try (Statement st = db.createStatement();
          ResultSet rs = st.executeQuery("SELECT id, node, label FROM scratch.nodes")) {
        while (rs.next()) {
          got.put(rs.getString(1), rs.getInt(2) + "/" + rs.getLong(3));
        }
      }
      assertEquals(expected, got);
    }
  }
}
