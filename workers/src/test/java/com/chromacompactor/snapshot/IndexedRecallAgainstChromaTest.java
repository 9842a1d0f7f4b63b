package com.chromacompactor.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.testing.ChromaPython;
import com.chromacompactor.testing.TempTrees;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Recall@10 of our index against exact brute force, as real chromadb answers queries at its default
 * ef_search: at least 0.95, and not below that of the index Chroma built itself from the same
 * vectors (the delta our snapshot was compacted from), on the same queries.
 */
class IndexedRecallAgainstChromaTest {
  private static final int QUERIES = 500;
  private static final double TOLERANCE = 0.01;

  /**
   * {@code lowrank} vectors (a 32-d latent space, like text embeddings) and {@code clustered} ones
   * (clusters of unequal size, a power-law spectrum: shaped like real embeddings) must reach 0.95;
   * i.i.d. Gaussian vectors are the worst case for any HNSW (Chroma's own index reaches about 0.94
   * and 0.88 on these), so there only the comparison with Chroma applies. The snapshots are built
   * with the default {@link com.chromacompactor.hnsw.IndexBuild}, the quantized one: this is the
   * test that its recall is Chroma's.
   */
  @ParameterizedTest(name = "{0} x {1}-d {2} {4}, {3} thread(s)")
  @CsvSource({
    "5000, 128, l2, 1, lowrank",
    "3000, 384, cosine, 2, lowrank",
    "3000, 256, ip, 1, gauss",
    "6000, 384, cosine, 1, clustered"
  })
  void recallAtDefaultEfSearchMatchesChromasOwnIndex(
      int n, int dim, String space, int threads, String kind) throws Exception {
    Path root = TempTrees.create("indexed-recall-");
    ChromaPython.runScript("index_fixtures.py", "vectors", root, n, dim, QUERIES, space, kind);
    Path delta = root.resolve("delta");
    Path snapshot = root.resolve("snapshot");
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(threads))
        .run(List.of(delta), snapshot);
    ChromaPython.runScript(
        "index_fixtures.py",
        "recall",
        root.resolve("ours.json"),
        snapshot,
        root.resolve("queries.npy"));
    ChromaPython.runScript(
        "index_fixtures.py",
        "recall",
        root.resolve("chroma.json"),
        delta,
        root.resolve("queries.npy"));
    ObjectMapper json = new ObjectMapper();
    JsonNode ours = json.readTree(root.resolve("ours.json").toFile());
    JsonNode chroma = json.readTree(root.resolve("chroma.json").toFile());
    assertEquals(n, ours.path("count").asInt());
    assertEquals(space, ours.path("space").asText());
    double r = ours.path("recall").asDouble();
    double c = chroma.path("recall").asDouble();
    System.out.printf(
        "recall@10 %d x %d %s %s: ours %.4f, chroma's own %.4f%n", n, dim, space, kind, r, c);
    if (!kind.equals("gauss")) {
      assertTrue(r >= 0.95, "recall@10 " + r);
    }
    // Both graphs are random draws; 500 queries x 10 give a standard error near 0.005 at 0.9.
    assertTrue(r >= c - TOLERANCE, "recall@10 " + r + " below Chroma's own index " + c);
    assertEquals(
        0, ours.path("state").path("vectors").path("queueRows").asInt(), "no queue after queries");
  }
}
