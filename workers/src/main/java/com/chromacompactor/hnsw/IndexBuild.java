package com.chromacompactor.hnsw;

import java.util.Locale;

/**
 * How a build finds a new node's neighbour candidates. Both write the same kind of graph, a
 * standard hnswlib one; they differ in the distances its beam searches use.
 *
 * <ul>
 *   <li>{@link #EXACT}: every distance on the float32 vectors, as hnswlib builds.
 *   <li>{@link #QUANTIZED}: the beam searches of construction (greedy descent and ef_construction
 *       search) run on 8-bit codes of the vectors ({@link QuantizedVectors}, a quarter of the bytes
 *       to pull from memory), then the ef_construction candidates found are re-ranked by their
 *       exact distance, and the neighbour selection and the pruning of full neighbour lists use
 *       exact float32 distances only (the route of Flash, arXiv 2502.18113, with scalar codes). The
 *       default: about twice as fast on 1536-d vectors, at the same recall
 *       (docs/hnsw-benchmarks.md, {@code IndexedRecallAgainstChromaTest}).
 * </ul>
 *
 * <p>A build that adds fewer nodes than the graph already has (an incremental run on a large base)
 * runs {@link #EXACT} whatever is asked: codes would have to be made for every base node first, a
 * pass over the whole base index that the few insertions do not repay.
 */
public enum IndexBuild {
  EXACT,
  QUANTIZED;

  /**
   * What a writer builds with unless told otherwise (the CLI's {@code --index-build}, the worker's
   * environment).
   */
  public static final IndexBuild DEFAULT = QUANTIZED;

  /** {@code exact} or {@code quantized} in any case; null or blank is {@link #DEFAULT}. */
  public static IndexBuild parse(String value) {
    if (value == null || value.isBlank()) {
      return DEFAULT;
    }
    try {
      return valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "index build '" + value + "': expected exact or quantized", e);
    }
  }

  /** The mode a build of {@code added} new nodes onto {@code existing} ones runs with. */
  IndexBuild forBuild(int existing, int added) {
    return this == QUANTIZED && added >= existing ? QUANTIZED : EXACT;
  }
}
