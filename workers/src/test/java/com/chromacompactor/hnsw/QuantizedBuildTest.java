package com.chromacompactor.hnsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The {@link IndexBuild#QUANTIZED} build: its codes, its distances, and the graph it gives. */
class QuantizedBuildTest {

  /**
   * Vectors shaped like text embeddings: a few dozen clusters of unequal spread, variance falling
   * off over the dimensions (anisotropic), unit length.
   */
  static float[][] clustered(int n, int dim, long seed) {
    Random r = new Random(seed);
    int clusters = 40;
    float[][] centres = new float[clusters][dim];
    for (float[] c : centres) {
      for (int j = 0; j < dim; j++) {
        c[j] = (float) (r.nextGaussian() / Math.sqrt(1 + j));
      }
    }
    float[][] v = new float[n][dim];
    for (float[] x : v) {
      float[] c = centres[(int) Math.min(clusters - 1, Math.abs(r.nextGaussian()) * clusters / 3)];
      double spread = 0.3 + 0.4 * r.nextDouble();
      double norm = 0;
      for (int j = 0; j < dim; j++) {
        x[j] = (float) (0.2 + c[j] + spread * r.nextGaussian() / Math.sqrt(1 + j));
        norm += x[j] * x[j];
      }
      for (int j = 0; j < dim; j++) {
        x[j] /= (float) Math.sqrt(norm);
      }
    }
    return v;
  }

  static Level0Store storeOf(float[][] data) {
    int dim = data[0].length;
    Level0Store s = HnswBuilderTest.store(data.length, dim, 16);
    for (int i = 0; i < data.length; i++) {
      s.writeVector(i, data[i]);
    }
    return s;
  }

  @Test
  void codedDistancesFollowTheExactOnesAndDoNotDependOnTheBatch() throws Exception {
    // 389 dimensions: codes padded to 448, the query's layout with them
    float[][] data = HnswBuilderTest.randomVectors(40, 389, 21);
    Level0Store store = storeOf(data);
    float[] q = HnswBuilderTest.randomVectors(1, 389, 22)[0];
    int[] nodes = {11, 3, 7, 0, 9, 4, 10, 1, 6, 2, 8, 39, 25};
    for (Metric metric : Metric.values()) {
      try (QuantizedVectors codes = QuantizedVectors.encode(store, metric, data.length, 1)) {
        QuantizedVectors.Query coded = codes.newQuery();
        coded.set(q);
        float spread = 0;
        for (int node = 0; node < data.length; node++) {
          spread =
              Math.max(
                  spread, Math.abs(store.distance(metric, q, node) - store.distance(metric, q, 0)));
        }
        for (int n = 0; n <= nodes.length; n++) {
          float[] out = new float[nodes.length];
          Arrays.fill(out, Float.NaN);
          coded.distances(nodes, n, out);
          for (int i = 0; i < nodes.length; i++) {
            if (i >= n) {
              assertEquals(Float.NaN, out[i], metric + ": nothing written past " + n);
              continue;
            }
            assertEquals(coded.distance(nodes[i]), out[i], metric + ", " + n + " nodes, at " + i);
            // 8 bits per dimension: off by a small part of how far apart the distances are
            assertEquals(
                store.distance(metric, q, nodes[i]),
                out[i],
                0.02f * spread,
                metric + " node " + nodes[i]);
          }
        }
      }
    }
  }

  @Test
  void quantizedBuildRecallsAsWellAsTheExactOne() throws InterruptedException {
    float[][] data = clustered(4000, 96, 31);
    float[][] queries = clustered(150, 96, 32);
    double[] recall = new double[2];
    for (IndexBuild mode : IndexBuild.values()) {
      HnswGraph g =
          new HnswGraph(
              new HnswParams(Metric.INNER_PRODUCT, 96, 16, 100, HnswParams.DEFAULT_SEED),
              storeOf(data));
      new HnswBuilder(g, mode).build(data.length, 1);
      recall[mode.ordinal()] =
          HnswBuilderTest.recall(g, data, queries, 10, 10, Metric.INNER_PRODUCT);
    }
    // ef 10 rather than Chroma's 100, so that the graph, not the search, decides the recall
    System.out.printf(
        "recall@10 at ef 10, 4,000 x 96 clustered: exact %.3f, quantized %.3f%n",
        recall[0], recall[1]);
    assertTrue(
        recall[IndexBuild.QUANTIZED.ordinal()] >= recall[IndexBuild.EXACT.ordinal()] - 0.01,
        "quantized " + recall[1] + " vs exact " + recall[0]);
    assertTrue(recall[IndexBuild.EXACT.ordinal()] >= 0.6, "exact " + recall[0]);
  }

  @Test
  void theExactBuildIsStillHnswlibsGraph() throws InterruptedException {
    // one thread, so that the order of insertions is fixed: the exact build is deterministic, and
    // the
    // quantized one finds other neighbours for some nodes (its searches rank candidates by codes)
    float[][] data = clustered(1200, 48, 41);
    HnswGraph exact = build(data, IndexBuild.EXACT);
    HnswGraph again = build(data, IndexBuild.EXACT);
    HnswGraph quantized = build(data, IndexBuild.QUANTIZED);
    int differ = 0;
    for (int node = 0; node < data.length; node++) {
      assertEquals(
          Arrays.toString(links(exact, node)), Arrays.toString(links(again, node)), "node " + node);
      differ += Arrays.equals(links(exact, node), links(quantized, node)) ? 0 : 1;
    }
    assertTrue(differ < data.length / 2, differ + " of " + data.length + " nodes with other links");
  }

  private static HnswGraph build(float[][] data, IndexBuild mode) throws InterruptedException {
    HnswGraph g =
        new HnswGraph(
            new HnswParams(Metric.L2, data[0].length, 16, 100, HnswParams.DEFAULT_SEED),
            storeOf(data));
    new HnswBuilder(g, mode).build(data.length, 1);
    return g;
  }

  private static int[] links(HnswGraph g, int node) {
    int[] buf = new int[g.params().maxM0() + 1];
    int[] out = Arrays.copyOf(buf, g.readLinks(node, 0, buf));
    Arrays.sort(out);
    return out;
  }

  @Test
  void aBuildLeavesNoCodesFileBehind() throws Exception {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    float[][] data = clustered(600, 32, 51);
    Level0Store store = storeOf(data);
    QuantizedVectors codes = QuantizedVectors.encode(store, Metric.L2, data.length, 2);
    // unlinked as soon as mapped: a JVM that dies mid-build leaves nothing in the temporary folder
    assertEquals(0, codesFiles(tmp));
    QuantizedVectors.Query q = codes.newQuery();
    q.set(data[7]);
    assertEquals(0f, q.distance(7), 0.01f);
    codes.close();
    codes.close(); // twice is harmless
  }

  private static long codesFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("hnsw-codes-")).count();
    }
  }

  @Test
  void smallAdditionsToALargerGraphRunExact() {
    assertEquals(IndexBuild.QUANTIZED, IndexBuild.QUANTIZED.forBuild(0, 10));
    assertEquals(IndexBuild.QUANTIZED, IndexBuild.QUANTIZED.forBuild(1000, 1000));
    assertEquals(IndexBuild.EXACT, IndexBuild.QUANTIZED.forBuild(1000, 999));
    assertEquals(IndexBuild.EXACT, IndexBuild.EXACT.forBuild(0, 10));
  }

  @Test
  void theChoiceIsParsedByName() {
    assertEquals(IndexBuild.EXACT, IndexBuild.parse(" Exact "));
    assertEquals(IndexBuild.QUANTIZED, IndexBuild.parse("quantized"));
    assertEquals(IndexBuild.DEFAULT, IndexBuild.parse(null));
    assertEquals(IndexBuild.DEFAULT, IndexBuild.parse(""));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IndexBuild.parse("fast"));
    assertEquals("index build 'fast': expected exact or quantized", e.getMessage());
  }
}
