package com.chromacompactor.merge;

/**
 * What a compaction takes from its deltas and what it leaves for a later merge.
 *
 * @param collection the one collection to take (by name), or null for all of them
 * @param tombstones whether the output keeps the tombstones it applied
 * @param badDeltas  what a refused delta does to the whole compaction
 */
public record CompactionOptions(String collection, TombstoneHandling tombstones, BadDeltaPolicy badDeltas) {

  /** What happens when a delta is refused ({@code CorruptDeltaException}). */
  public enum BadDeltaPolicy {
    /** The compaction fails and writes nothing: the default of {@code compact}. */
    FAIL,
    /**
     * The delta is rolled back (it leaves no trace), listed in the summary with its reason, and the rest
     * compacts: the workflow then quarantines it.
     */
    SKIP
  }

  /** What happens to tombstones once applied. */
  public enum TombstoneHandling {
    /** Applied and gone: the output is a final snapshot. */
    APPLY,
    /**
     * Applied, and also written to the output's {@code tombstones.json}: the output is an intermediate
     * that a later merge applies on top of older state, where those ids may still live.
     */
    APPLY_AND_CARRY
  }

  public static CompactionOptions snapshot() {
    return new CompactionOptions(null, TombstoneHandling.APPLY, BadDeltaPolicy.FAIL);
  }

  /** An intermediate of one collection's deltas. */
  public static CompactionOptions intermediate(String collection, BadDeltaPolicy badDeltas) {
    return new CompactionOptions(collection, TombstoneHandling.APPLY_AND_CARRY, badDeltas);
  }

  boolean takes(String collectionName) {
    return collection == null || collection.equals(collectionName);
  }
}
