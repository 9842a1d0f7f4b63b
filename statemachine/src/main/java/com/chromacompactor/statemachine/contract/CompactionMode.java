package com.chromacompactor.statemachine.contract;

/**
 * How a worker merges a chunk, chosen by the SelectMode Choice state from the plan's total
 * embeddings.
 */
public enum CompactionMode {
  /**
   * Above the threshold: merge the chunk's deltas one at a time, streaming, at the lowest memory.
   */
  SEQUENTIAL,
  /**
   * At or below the threshold: download and decode the chunk's deltas concurrently, which is
   * faster.
   */
  PARALLEL
}
