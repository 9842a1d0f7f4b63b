package com.chromacompactor.hnsw;

import java.nio.FloatBuffer;

/**
 * The distance kernels. Independent accumulators (four on arrays, eight on the mapped buffers the
 * builder reads) let the JIT keep several multiply-adds in flight (a single accumulator serialises
 * on the add latency, and C2 does not reorder float sums by itself). Measured against a plain loop
 * and the incubating vector API in {@code bench/hnsw} (see docs/hnsw-benchmarks.md); the plain
 * loops are kept as the reference in tests.
 */
public final class VectorKernels {
  private VectorKernels() {}

  public static float dot(float[] a, float[] b) {
    int n = a.length;
    int i = 0;
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    for (int bound = n & ~3; i < bound; i += 4) {
      s0 += a[i] * b[i];
      s1 += a[i + 1] * b[i + 1];
      s2 += a[i + 2] * b[i + 2];
      s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) {
      s0 += a[i] * b[i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  public static float squareDistance(float[] a, float[] b) {
    int n = a.length;
    int i = 0;
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    for (int bound = n & ~3; i < bound; i += 4) {
      float d0 = a[i] - b[i];
      float d1 = a[i + 1] - b[i + 1];
      float d2 = a[i + 2] - b[i + 2];
      float d3 = a[i + 3] - b[i + 3];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; i < n; i++) {
      float d = a[i] - b[i];
      s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
  }

  public static float dot(float[] a, FloatBuffer b, int off) {
    int n = a.length;
    int i = 0;
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    float s4 = 0f;
    float s5 = 0f;
    float s6 = 0f;
    float s7 = 0f;
    for (int bound = n & ~7; i < bound; i += 8) {
      int j = off + i;
      s0 += a[i] * b.get(j);
      s1 += a[i + 1] * b.get(j + 1);
      s2 += a[i + 2] * b.get(j + 2);
      s3 += a[i + 3] * b.get(j + 3);
      s4 += a[i + 4] * b.get(j + 4);
      s5 += a[i + 5] * b.get(j + 5);
      s6 += a[i + 6] * b.get(j + 6);
      s7 += a[i + 7] * b.get(j + 7);
    }
    for (; i < n; i++) {
      s0 += a[i] * b.get(off + i);
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }

  public static float squareDistance(float[] a, FloatBuffer b, int off) {
    int n = a.length;
    int i = 0;
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    float s4 = 0f;
    float s5 = 0f;
    float s6 = 0f;
    float s7 = 0f;
    for (int bound = n & ~7; i < bound; i += 8) {
      int j = off + i;
      float d0 = a[i] - b.get(j);
      float d1 = a[i + 1] - b.get(j + 1);
      float d2 = a[i + 2] - b.get(j + 2);
      float d3 = a[i + 3] - b.get(j + 3);
      float d4 = a[i + 4] - b.get(j + 4);
      float d5 = a[i + 5] - b.get(j + 5);
      float d6 = a[i + 6] - b.get(j + 6);
      float d7 = a[i + 7] - b.get(j + 7);
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
      s4 += d4 * d4;
      s5 += d5 * d5;
      s6 += d6 * d6;
      s7 += d7 * d7;
    }
    for (; i < n; i++) {
      float d = a[i] - b.get(off + i);
      s0 += d * d;
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }

  /** The reference: one accumulator, in index order. */
  public static float dotScalar(float[] a, float[] b) {
    float s = 0f;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  public static float squareDistanceScalar(float[] a, float[] b) {
    float s = 0f;
    for (int i = 0; i < a.length; i++) {
      float d = a[i] - b[i];
      s += d * d;
    }
    return s;
  }

  /**
   * The reference for {@link FloatKernels#dotCodes}: {@code Σ q[i]·codes[i]}, one accumulator, in
   * order.
   */
  public static float dotCodesScalar(float[] q, byte[] codes) {
    float s = 0f;
    for (int i = 0; i < q.length; i++) {
      s += q[i] * codes[i];
    }
    return s;
  }
}
