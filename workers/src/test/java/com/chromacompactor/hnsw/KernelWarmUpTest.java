package com.chromacompactor.hnsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class KernelWarmUpTest {

  @Test
  void theWarmUpComputesWhatTheScalarLoopsCompute() {
    for (Metric metric : Metric.values()) {
      theWarmUpComputesWhatTheScalarLoopsCompute(metric);
    }
  }

  private static void theWarmUpComputesWhatTheScalarLoopsCompute(Metric metric) {
    // The same vectors as the warm-up lays out: 64 of 1536-d, exact binary fractions, so any order
    // of
    // summation gives one value.
    int dim = 1536;
    float[] q = new float[dim];
    for (int i = 0; i < dim; i++) {
      q[i] = (i % 7 - 3) / 4f;
    }
    double expected = 0;
    for (int n = 0; n < 64; n++) {
      float[] v = new float[dim];
      for (int i = 0; i < dim; i++) {
        v[i] = ((n * dim + i) % 13 - 6) / 8f;
      }
      expected +=
          metric == Metric.L2
              ? VectorKernels.squareDistanceScalar(q, v)
              : 1f - VectorKernels.dotScalar(q, v);
    }
    // 64 calls: each vector once alone and four times in a batch of four
    assertEquals(5 * expected, KernelWarmUp.run(metric, 64), metric.name());
    assertEquals(10 * expected, KernelWarmUp.run(metric, 128), metric.name());
  }

  @Test
  void theCodesWarmUpComputesWhatTheScalarLoopComputes() {
    // 64 vectors of codes -5..5 and a query of quarters: every sum is exact in any order
    int dim = 1536;
    float[] q = new float[dim];
    for (int i = 0; i < dim; i++) {
      q[i] = (i % 7 - 3) / 4f;
    }
    double expected = 0;
    for (int n = 0; n < 64; n++) {
      byte[] codes = new byte[dim];
      for (int i = 0; i < dim; i++) {
        codes[i] = (byte) ((n * dim + i) % 11 - 5);
      }
      expected += VectorKernels.dotCodesScalar(q, codes);
    }
    assertEquals(5 * expected, KernelWarmUp.runCodes(64));
  }

  @Test
  void itRunsOncePerMetricAndJvmAndFinishes() throws InterruptedException {
    for (Metric metric : Metric.values()) {
      itRunsOncePerJvmAndFinishes(metric);
    }
  }

  private static void itRunsOncePerJvmAndFinishes(Metric metric) throws InterruptedException {
    Thread first = KernelWarmUp.start(metric, IndexBuild.QUANTIZED);
    Thread again = KernelWarmUp.start(metric, IndexBuild.QUANTIZED);
    // Another test in this JVM may have started it already; either way, never twice.
    if (first != null) {
      first.join(60_000);
      assertFalse(first.isAlive(), "the warm-up should finish in well under a minute");
      assertEquals(Thread.MIN_PRIORITY, first.getPriority());
    }
    assertNull(again);
    assertNull(KernelWarmUp.start(metric, IndexBuild.QUANTIZED));
  }
}
