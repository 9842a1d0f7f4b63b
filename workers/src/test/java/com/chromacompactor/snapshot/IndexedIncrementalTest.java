package com.chromacompactor.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.testing.ChromaPython;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An incremental run (the previous snapshot as base and first delta, then a new delta with added,
 * updated and deleted ids) against a full rebuild of the same deltas: real chromadb must return the
 * same get(), the incremental index must keep the base elements (its element count is the base's
 * plus the added and updated ones), and recall stays at 0.95.
 */
class IndexedIncrementalTest {

  @ParameterizedTest
  @ValueSource(strings = {"l2", "cosine"})
  void incrementalEqualsFullRebuild(String space) throws Exception {
    int n = 2000;
    int dim = 64;
    Path root = Files.createTempDirectory("indexed-incremental-");
    ChromaPython.runScript("index_fixtures.py", "vectors", root, n, dim, 200, space, "lowrank");
    ChromaPython.runScript("index_fixtures.py", "more", root, n, 150, 100, 50, dim, space, "lowrank");
    Path delta1 = root.resolve("delta");
    Path delta2 = root.resolve("delta2");
    Path base = root.resolve("base");
    Path full = root.resolve("full");
    Path incremental = root.resolve("incremental");
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(2)).run(List.of(delta1), base);
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(2)).run(List.of(delta1, delta2), full);
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(2, base))
        .run(List.of(base, delta2), incremental);

    assertEquals(n + 150 + 100, elements(incremental), "base elements kept, added and updated ones appended");
    assertEquals(n + 150 - 50, elements(full));

    ChromaPython.runScript("index_fixtures.py", "inspect", root.resolve("full.json"), full);
    ChromaPython.runScript("index_fixtures.py", "inspect", root.resolve("incremental.json"), incremental);
    ObjectMapper json = new ObjectMapper();
    JsonNode f = json.readTree(root.resolve("full.json").toFile()).path("collections").path("vectors");
    JsonNode i = json.readTree(root.resolve("incremental.json").toFile()).path("collections").path("vectors");
    assertEquals(n + 150 - 50, i.path("count").asInt());
    assertEquals(f.path("records"), i.path("records"), "get() of the incremental and the full snapshot");
    ChromaPython.runScript("index_fixtures.py", "recall", root.resolve("recall.json"), incremental,
        root.resolve("queries.npy"));
    double recall = json.readTree(root.resolve("recall.json").toFile()).path("recall").asDouble();
    assertTrue(recall >= 0.95, "recall@10 of the incremental index " + recall);
  }

  private static long elements(Path snapshot) throws Exception {
    try (var dirs = Files.list(snapshot)) {
      Path header = dirs.filter(Files::isDirectory).findFirst().orElseThrow().resolve("header.bin");
      return ByteBuffer.wrap(Files.readAllBytes(header)).order(ByteOrder.LITTLE_ENDIAN).getLong(20);
    }
  }
}
