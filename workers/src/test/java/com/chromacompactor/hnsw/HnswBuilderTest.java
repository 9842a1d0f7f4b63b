package com.chromacompactor.hnsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HnswBuilderTest {

  static Level0Store store(int n, int dim, int m) {
    int maxM0 = 2 * m;
    return Level0Store.onHeap(n, 4 + 4 * maxM0 + 4 * dim + 8, maxM0, dim);
  }

  static float[][] randomVectors(int n, int dim, long seed) {
    Random r = new Random(seed);
    float[][] v = new float[n][dim];
    for (float[] x : v) {
      for (int j = 0; j < dim; j++) {
        x[j] = (float) r.nextGaussian();
      }
    }
    return v;
  }

  static double recall(
      HnswGraph g, float[][] data, float[][] queries, int k, int ef, Metric metric) {
    int hits = 0;
    for (float[] q : queries) {
      int[] got = HnswBuilder.search(g, q, k, ef);
      Integer[] order = new Integer[data.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      float[] d = new float[data.length];
      for (int i = 0; i < data.length; i++) {
        d[i] = metric.distance(q, data[i]);
      }
      Arrays.sort(order, (a, b) -> Float.compare(d[a], d[b]));
      for (int i = 0; i < k; i++) {
        for (int x : got) {
          if (x == order[i]) {
            hits++;
          }
        }
      }
    }
    return hits / (double) (queries.length * k);
  }

  HnswGraph build(float[][] data, Metric metric, int threads) throws InterruptedException {
    int dim = data[0].length;
    HnswParams p = new HnswParams(metric, dim, 16, 100, HnswParams.DEFAULT_SEED);
    HnswGraph g = new HnswGraph(p, store(data.length, dim, 16));
    for (int i = 0; i < data.length; i++) {
      g.level0().writeVector(i, data[i]);
    }
    new HnswBuilder(g).build(data.length, threads);
    return g;
  }

  @Test
  void recallAgainstBruteForceL2() throws InterruptedException {
    float[][] data = randomVectors(3000, 24, 1);
    HnswGraph g = build(data, Metric.L2, 1);
    double r = recall(g, data, randomVectors(100, 24, 2), 10, 100, Metric.L2);
    assertTrue(r >= 0.95, "recall " + r);
  }

  @Test
  void recallWithTwoThreadsInnerProduct() throws InterruptedException {
    float[][] data = randomVectors(3000, 24, 3);
    for (float[] v : data) {
      float n = (float) Math.sqrt(VectorKernels.dot(v, v));
      for (int j = 0; j < v.length; j++) {
        v[j] /= n;
      }
    }
    HnswGraph g = build(data, Metric.INNER_PRODUCT, 2);
    double r = recall(g, data, randomVectors(100, 24, 4), 10, 100, Metric.INNER_PRODUCT);
    assertTrue(r >= 0.95, "recall " + r);
  }

  @Test
  void aSmallBuildComesOutTheSameEveryTime() throws InterruptedException {
    // Below 2 × MIN_INSERTS_PER_THREAD insertions, four threads asked for means one used: the same
    // links, level by level, on every build. (Threads would interleave differently each time.)
    float[][] data = randomVectors(2 * HnswBuilder.MIN_INSERTS_PER_THREAD - 1, 16, 6);
    HnswGraph first = build(data, Metric.L2, 4);
    for (int run = 0; run < 3; run++) {
      HnswGraph again = build(data, Metric.L2, 4);
      assertEquals(first.entryPoint(), again.entryPoint());
      for (int node = 0; node < data.length; node++) {
        assertEquals(first.level(node), again.level(node), "level of node " + node);
        for (int level = 0; level <= first.level(node); level++) {
          assertEquals(
              Arrays.toString(links(first, node, level)),
              Arrays.toString(links(again, node, level)),
              "links of node " + node + " on level " + level);
        }
      }
    }
  }

  private static int[] links(HnswGraph g, int node, int level) {
    int[] buf = new int[g.params().maxM0() + 1];
    return Arrays.copyOf(buf, g.readLinks(node, level, buf));
  }

  @Test
  void aBuildReportsItsProgressToTheLastNode() throws InterruptedException {
    float[][] data = randomVectors(3000, 8, 5);
    HnswParams p = new HnswParams(Metric.L2, 8, 16, 100, HnswParams.DEFAULT_SEED);
    HnswGraph g = new HnswGraph(p, store(data.length, 8, 16));
    for (int i = 0; i < data.length; i++) {
      g.level0().writeVector(i, data[i]);
    }
    java.util.List<int[]> reports =
        java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    new HnswBuilder(g).build(data.length, 2, (done, total) -> reports.add(new int[] {done, total}));
    // one report per 1,024 insertions (1,024 and 2,048, from whichever thread), then the end
    assertEquals(3, reports.size(), reports.stream().map(Arrays::toString).toList().toString());
    assertEquals(
        java.util.Set.of(1024, 2048, 3000),
        reports.stream().map(r -> r[0]).collect(java.util.stream.Collectors.toSet()));
    assertTrue(reports.stream().allMatch(r -> r[1] == 3000));
    assertEquals(3000, reports.get(reports.size() - 1)[0], "the last report is the end");
  }

  @Test
  void levelsFollowHnswlibsGenerator() {
    // printed by g++ 12 (libstdc++): std::default_random_engine seeded 100,
    // uniform_real_distribution(0, 1)
    LevelGenerator gen = new LevelGenerator(100, 1 / Math.log(16));
    for (double expected :
        new double[] {
          0.15377881392293621,
          0.86501319254308873,
          0.89591863288942764,
          0.88647168710706992,
          0.46928959426852862
        }) {
      assertEquals(expected, gen.nextUniform(), 0);
    }
    int[] counts = new int[8];
    LevelGenerator g2 = new LevelGenerator(100, 1 / Math.log(16));
    for (int i = 0; i < 100_000; i++) {
      counts[Math.min(7, g2.nextLevel())]++;
    }
    // P(level >= 1) = 1/M
    assertEquals(100_000 / 16.0, 100_000 - counts[0], 400);
  }

  @Test
  void kernelsAgreeWithTheScalarReference() {
    float[][] v = randomVectors(2, 1539, 5);
    assertEquals(VectorKernels.dotScalar(v[0], v[1]), VectorKernels.dot(v[0], v[1]), 1e-2);
    assertEquals(
        VectorKernels.squareDistanceScalar(v[0], v[1]),
        VectorKernels.squareDistance(v[0], v[1]),
        1e-2);
  }

  @Test
  void distancesInBatchesEqualTheOnesTakenOneAtATime() {
    // Every count from none to two batches and a remainder, both metrics, nodes out of memory
    // order.
    int dim = 389;
    float[][] data = randomVectors(12, dim, 17);
    Level0Store s = store(data.length, dim, 16);
    for (int i = 0; i < data.length; i++) {
      s.writeVector(i, data[i]);
    }
    int[] nodes = {11, 3, 7, 0, 9, 4, 10, 1, 6, 2, 8};
    float[] q = randomVectors(1, dim, 18)[0];
    for (Metric metric : Metric.values()) {
      for (int n = 0; n <= nodes.length; n++) {
        float[] out = new float[nodes.length];
        Arrays.fill(out, Float.NaN);
        s.distances(metric, q, nodes, n, out, new float[4]);
        for (int i = 0; i < nodes.length; i++) {
          float expected = i < n ? s.distance(metric, q, nodes[i]) : Float.NaN;
          assertEquals(expected, out[i], metric + ", " + n + " nodes, at " + i);
        }
        if (n > 0) {
          assertEquals(
              metric.distance(q, data[nodes[0]]),
              out[0],
              1e-3f * Math.abs(out[0]) + 1e-3f,
              metric.toString());
        }
      }
    }
  }
}
