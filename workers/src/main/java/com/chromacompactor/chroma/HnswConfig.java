package com.chromacompactor.chroma;

import com.chromacompactor.hnsw.HnswParams;

/**
 * A collection's vector index parameters, as the release that wrote it resolves them (each {@link
 * CollectionConfigForm} reads its own form).
 */
public record HnswConfig(Space space, int maxNeighbors, int efConstruction, int efSearch) {
  public static final int DEFAULT_M = 16;
  public static final int DEFAULT_EF_CONSTRUCTION = 100;

  /**
   * Chroma 1.x's default ef_search, which stands for "not set" in every form: chromadb 0.x then
   * uses its own default, 10 (see {@link CollectionConfigForm}).
   */
  public static final int DEFAULT_EF_SEARCH = 100;

  public HnswConfig {
    if (space == null) {
      throw new IllegalArgumentException("space is required");
    }
    if (maxNeighbors < 2 || maxNeighbors > 4096) {
      throw new IllegalArgumentException("max_neighbors out of range 2..4096: " + maxNeighbors);
    }
    if (efConstruction < 1 || efSearch < 1) {
      throw new IllegalArgumentException(
          "ef out of range: ef_construction=" + efConstruction + ", ef_search=" + efSearch);
    }
  }

  public static HnswConfig defaults() {
    return new HnswConfig(Space.L2, DEFAULT_M, DEFAULT_EF_CONSTRUCTION, DEFAULT_EF_SEARCH);
  }

  /** What an index of this collection is built with, for vectors of {@code dimension}. */
  public HnswParams params(int dimension) {
    return new HnswParams(
        space.metric(), dimension, maxNeighbors, efConstruction, HnswParams.DEFAULT_SEED);
  }
}
