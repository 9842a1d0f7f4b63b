package com.chromacompactor.chroma.hnsw;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.chromacompactor.hnsw.HnswBuilder;
import com.chromacompactor.hnsw.HnswParams;
import com.chromacompactor.hnsw.Metric;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaseIndexTest {

  /**
   * A base index's elements by record id: every live, labelled element, with an id carried by two
   * live elements (the later one wins, as in hnswlib's label lookup), a deleted element and one the
   * id map omits; and the highest label, which a label in the id map alone can raise.
   */
  @Test
  void everyLiveLabelledElementByItsId(@TempDir Path dir) throws Exception {
    int n = 50;
    int dim = 4;
    HnswParams params = new HnswParams(Metric.L2, dim, 4, 20, HnswParams.DEFAULT_SEED);
    Path folder = dir.resolve("seg");
    try (HnswSegmentWriter w = HnswSegmentWriter.create(folder, params, VectorForm.AS_GIVEN, n)) {
      for (int i = 0; i < n; i++) {
        w.setElement(i, 100 + i, new float[] {i, i % 3, i % 5, 1});
      }
      new HnswBuilder(w.graph()).build(n, 1);
      w.graph().markDeleted(33);
      w.finish();
    }
    Map<Long, String> ids = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      ids.put(100L + i, "id-" + i);
    }
    ids.put(110L, "twice");
    ids.put(140L, "twice");
    ids.remove(120L);
    ids.put(900L, "only-in-the-map"); // an element Chroma removed, whose label stays taken
    IdLabelPickleWriter.write(
        folder.resolve(HnswSegmentFormat.PICKLE),
        900,
        visitor -> {
          for (Map.Entry<Long, String> e : ids.entrySet()) {
            visitor.accept(e.getValue(), e.getKey());
          }
        });

    BaseIndex base = BaseIndex.open(folder, params, VectorForm.AS_GIVEN);

    Map<String, Integer> expected = new HashMap<>();
    for (int i = 0; i < n; i++) {
      String id = ids.get(100L + i);
      if (i != 33 && id != null) {
        expected.put(id, i);
      }
    }
    assertEquals(n - 3, expected.size(), "one deleted, one without an id, one id twice");
    Map<String, Integer> found = new HashMap<>();
    base.nodeById().forEach(found::put);
    assertEquals(expected, found);
    assertEquals(40, base.node("twice"));
    assertEquals(-1, base.node("id-33"), "deleted");
    assertEquals(-1, base.node("only-in-the-map"), "no element");
    assertEquals(n - 3, base.records());
    assertEquals(n, base.count());
    assertEquals(900, base.maxLabel());
    assertEquals(140, base.reader().label(base.node("twice")));
  }
}
