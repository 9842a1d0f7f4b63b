package com.chromacompactor.hnsw;

/**
 * What a graph is built with: hnswlib's M (links per node above level 0; {@code 2M} on level 0),
 * ef_construction, the dimension and the metric, and the seed of the level generator (hnswlib's
 * default is 100).
 */
public record HnswParams(Metric metric, int dimension, int m, int efConstruction, long seed) {
  public static final long DEFAULT_SEED = 100;

  public HnswParams {
    if (metric == null) {
      throw new IllegalArgumentException("metric is required");
    }
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be positive; dimension=" + dimension);
    }
    if (m < 2 || m > 4096) {
      throw new IllegalArgumentException("M out of range 2..4096; M=" + m);
    }
    if (efConstruction < 1) {
      throw new IllegalArgumentException(
          "ef_construction must be positive; ef_construction=" + efConstruction);
    }
  }

  public int maxM0() {
    return 2 * m;
  }

  /** hnswlib's {@code mult_}: levels are {@code (int) (-ln(u) * mult)}. */
  public double levelMultiplier() {
    return 1 / Math.log(m);
  }
}
