package com.chromacompactor.hnsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A build on many threads: a node still being linked must not become where another insertion's
 * search descends or starts a level, or that insertion finds nothing but the half-linked node.
 */
class ParallelBuildTest {

  /**
   * Unit vectors near a rank-12 subspace with a little noise, as the test fixtures draw them: the
   * data on which a half-linked node cost an insertion its neighbours (CI saw recall 94 of 100
   * where one thread gives 99 to 100).
   */
  static float[][] lowRank(int n, int dim, long seed, long basisSeed) {
    Random b = new Random(basisSeed);
    float[][] basis = new float[12][dim];
    for (float[] row : basis) {
      for (int j = 0; j < dim; j++) {
        row[j] = (float) b.nextGaussian();
      }
    }
    Random r = new Random(seed);
    float[][] v = new float[n][dim];
    double[] c = new double[basis.length];
    for (float[] x : v) {
      for (int k = 0; k < c.length; k++) {
        c[k] = r.nextGaussian();
      }
      double norm = 0;
      for (int j = 0; j < dim; j++) {
        double s = 0.01 * r.nextGaussian();
        for (int k = 0; k < c.length; k++) {
          s += c[k] * basis[k][j];
        }
        x[j] = (float) s;
        norm += s * s;
      }
      for (int j = 0; j < dim; j++) {
        x[j] /= (float) Math.sqrt(norm);
      }
    }
    return v;
  }

  private static HnswGraph build(float[][] data, int threads) throws InterruptedException {
    int dim = data[0].length;
    HnswGraph g =
        new HnswGraph(
            new HnswParams(Metric.INNER_PRODUCT, dim, 16, 100, HnswParams.DEFAULT_SEED),
            QuantizedBuildTest.storeOf(data));
    new HnswBuilder(g).build(data.length, threads);
    return g;
  }

  @Test
  void theDescentPassesOverANodeStillBeingLinked() throws InterruptedException {
    float[][] data = lowRank(1000, 64, 1, 2);
    HnswGraph g = build(data, 1);
    int target = -1;
    for (int node = 0; node < data.length && target < 0; node++) {
      if (g.level(node) >= 1 && node != g.entryPoint()) {
        target = node;
      }
    }
    assertTrue(target >= 0, "a node above level 0 that is not the entry");
    HnswBuilder.Search all = new HnswBuilder.Search(g, null, HnswBuilder.Linked.ALL);
    all.setQuery(data[target]);
    assertEquals(
        target,
        all.greedy(g.entryPoint(), g.maxLevel(), 1),
        "with every node linked, the descent toward a node's own vector ends on it");

    HnswBuilder.Linked allButTarget = new HnswBuilder.Linked(0, data.length);
    for (int node = 0; node < data.length; node++) {
      if (node != target) {
        allButTarget.mark(node);
      }
    }
    assertTrue(allButTarget.has(target - 1) && !allButTarget.has(target));
    HnswBuilder.Search partial = new HnswBuilder.Search(g, null, allButTarget);
    partial.setQuery(data[target]);
    int landed = partial.greedy(g.entryPoint(), g.maxLevel(), 1);
    assertNotEquals(target, landed, "the descent must not stop on a node still being linked");
    assertTrue(allButTarget.has(landed));
  }

  @Test
  void eightThreadsBuildAsGoodAGraphAsOne() throws InterruptedException {
    float[][] data = lowRank(1600, 1536, 7, 8);
    float[][] queries = lowRank(200, 1536, 9, 8);
    // ef 10, Chroma's default for queries, so that the graph decides the recall
    double one =
        HnswBuilderTest.recall(build(data, 1), data, queries, 10, 10, Metric.INNER_PRODUCT);
    double worst = 1;
    double sum = 0;
    int runs = 8;
    StringBuilder all = new StringBuilder();
    for (int run = 0; run < runs; run++) {
      double r =
          HnswBuilderTest.recall(build(data, 8), data, queries, 10, 10, Metric.INNER_PRODUCT);
      all.append(String.format(" %.3f", r));
      worst = Math.min(worst, r);
      sum += r;
    }
    System.out.printf("recall@10 at ef 10: one thread %.3f, eight threads%s%n", one, all);
    // Threads still interleave differently each run (hnswlib's 8-thread builds of such data vary by
    // 0.003 around its one-thread recall); before the fix, single runs fell 0.01 to 0.026 short.
    assertTrue(worst >= one - 0.008, "one thread " + one + ", eight threads" + all);
    assertTrue(sum / runs >= one - 0.004, "one thread " + one + ", eight threads" + all);
  }
}
