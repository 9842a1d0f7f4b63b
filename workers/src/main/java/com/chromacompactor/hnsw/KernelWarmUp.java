package com.chromacompactor.hnsw;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gets a metric's distance kernels compiled before a build needs them. In a fresh JVM the vector
 * API runs interpreted, allocating on every lane operation, until the JIT's optimising tier takes a
 * kernel: the first thousand insertions of an incremental run on a 50,000 × 1536-d base took 1.8 s,
 * the next thousand 1.2 s. Warmed up, the run is 0.4 s shorter (docs/hnsw-benchmarks.md). A writer
 * starts this for each metric its collections use as it meets them, while it still reads its
 * inputs; it runs once per metric and JVM, on a daemon thread, in about a sixth of a second of one
 * core. Only that metric's kernels: compiling the other's, which no build would call, cost as much
 * CPU again, on a machine whose cores the JIT and the merge already keep busy.
 */
public final class KernelWarmUp {
  /** Enough calls of each kernel for the JIT's optimising tier, with room to spare. */
  static final int CALLS = 30_000;

  private static final int DIMENSION = 1536;
  private static final int VECTORS = 64;
  private static final AtomicBoolean[] STARTED = {new AtomicBoolean(), new AtomicBoolean()};
  private static final AtomicBoolean CODES_STARTED = new AtomicBoolean();

  private KernelWarmUp() {}

  /**
   * Starts the warm-up of {@code metric}'s kernels, and of the code kernel when {@code build} is
   * quantized, unless this JVM already has: the started thread, or null.
   */
  public static Thread start(Metric metric, IndexBuild build) {
    boolean floats = STARTED[metric.ordinal()].compareAndSet(false, true);
    // and, once per JVM, the kernel of a quantized build's searches, which serves both metrics
    boolean codes = build == IndexBuild.QUANTIZED && CODES_STARTED.compareAndSet(false, true);
    if (!floats && !codes) {
      return null;
    }
    Thread t =
        new Thread(
            () -> {
              if (floats) {
                run(metric, CALLS);
              }
              if (codes) {
                runCodes(CALLS);
              }
            },
            "hnsw-kernel-warm-up-" + metric.name().toLowerCase());
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    t.start();
    return t;
  }

  /**
   * Calls {@code metric}'s distance, alone and in fours, {@code calls} times on vectors laid out as
   * a mapped index holds them (a direct, little-endian buffer), and returns the sum of the results,
   * so that the work cannot be dropped.
   */
  static double run(Metric metric, int calls) {
    ByteBuffer bytes =
        ByteBuffer.allocateDirect(4 * DIMENSION * VECTORS).order(ByteOrder.LITTLE_ENDIAN);
    FloatBuffer floats = bytes.asFloatBuffer();
    for (int i = 0; i < DIMENSION * VECTORS; i++) {
      floats.put(i, (i % 13 - 6) / 8f);
    }
    float[] q = new float[DIMENSION];
    for (int i = 0; i < DIMENSION; i++) {
      q[i] = (i % 7 - 3) / 4f;
    }
    float[] four = new float[4];
    double sum = 0;
    for (int i = 0; i < calls; i++) {
      int at = (i % VECTORS) * DIMENSION;
      sum += metric.distance(q, bytes, floats, at);
      // and the batched kernel the beam search uses, on this vector and the next three
      int at1 = ((i + 1) % VECTORS) * DIMENSION;
      int at2 = ((i + 2) % VECTORS) * DIMENSION;
      int at3 = ((i + 3) % VECTORS) * DIMENSION;
      metric.distance4(
          q, bytes, floats, at, bytes, floats, at1, bytes, floats, at2, bytes, floats, at3, four);
      sum += (double) four[0] + four[1] + four[2] + four[3];
    }
    return sum;
  }

  /**
   * Calls the 8-bit codes' kernel ({@link FloatKernels#dotCodes}), alone and in fours, {@code
   * calls} times on codes laid out as {@link QuantizedVectors} holds them, and returns the sum of
   * the results.
   */
  static double runCodes(int calls) {
    int length = FloatKernels.codeLength(DIMENSION);
    ByteBuffer codes = ByteBuffer.allocateDirect(length * VECTORS).order(ByteOrder.LITTLE_ENDIAN);
    for (int v = 0; v < VECTORS; v++) {
      for (int i = 0; i < DIMENSION; i++) {
        codes.put(v * length + i, (byte) ((v * DIMENSION + i) % 11 - 5));
      }
    }
    float[] q = new float[DIMENSION];
    for (int i = 0; i < DIMENSION; i++) {
      q[i] = (i % 7 - 3) / 4f;
    }
    float[] laidOut = new float[length];
    FloatKernels kernels = FloatKernels.INSTANCE;
    kernels.prepareCodeQuery(q, laidOut);
    float[] four = new float[4];
    double sum = 0;
    for (int i = 0; i < calls; i++) {
      int at = (i % VECTORS) * length;
      sum += kernels.dotCodes(laidOut, codes, at);
      kernels.dotCodes4(
          laidOut,
          codes,
          at,
          codes,
          ((i + 1) % VECTORS) * length,
          codes,
          ((i + 2) % VECTORS) * length,
          codes,
          ((i + 3) % VECTORS) * length,
          four);
      sum += (double) four[0] + four[1] + four[2] + four[3];
    }
    return sum;
  }
}
