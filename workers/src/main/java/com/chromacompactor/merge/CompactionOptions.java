package com.chromacompactor.merge;

import java.nio.file.Path;

/**
 * What a compaction takes from its deltas and what it leaves for a later merge.
 *
 * @param collection the one collection to take (by name), or null for all of them
 * @param tombstones whether the output keeps the tombstones it applied
 * @param badDeltas what a refused delta does to the whole compaction
 * @param versions whether the output records, per id, the version of its last write and delete
 * @param reference with {@link VersionTracking#TRACK}: a published snapshot's {@link
 *     RecordVersions} file that gates the deltas too (a chunk that holds a late delta), or null
 */
public record CompactionOptions(
    String collection,
    TombstoneHandling tombstones,
    BadDeltaPolicy badDeltas,
    VersionTracking versions,
    Path reference) {

  /** What happens when a delta is refused ({@code CorruptDeltaException}). */
  public enum BadDeltaPolicy {
    /** The compaction fails and writes nothing: the default of {@code compact}. */
    FAIL,
    /**
     * The delta is rolled back (it leaves no trace), listed in the summary with its reason, and the
     * rest compacts: the workflow then quarantines it.
     */
    SKIP
  }

  /** What happens to tombstones once applied. */
  public enum TombstoneHandling {
    /** Applied and gone: the output is a final snapshot. */
    APPLY,
    /**
     * Applied, and also written to the output's {@code tombstones.json}: the output is an
     * intermediate that a later merge applies on top of older state, where those ids may still
     * live.
     */
    APPLY_AND_CARRY
  }

  /**
   * Whether deltas carry versions (the workflow's sequences) that order their operations per id.
   */
  public enum VersionTracking {
    /** Deltas merge in the order given, each operation applies: {@code compact}. */
    OFF,
    /**
     * Each operation applies only at or after the id's last recorded one (a late delta loses to
     * newer writes and deletes), and the output keeps {@link RecordVersions#FILE} for the next
     * merge.
     */
    TRACK
  }

  public CompactionOptions {
    if (versions == null) {
      throw new IllegalArgumentException("versions is required");
    }
    if (reference != null && versions != VersionTracking.TRACK) {
      throw new IllegalArgumentException("a reference store gates only a versioned compaction");
    }
  }

  public CompactionOptions(
      String collection, TombstoneHandling tombstones, BadDeltaPolicy badDeltas) {
    this(collection, tombstones, badDeltas, VersionTracking.OFF, null);
  }

  public static CompactionOptions snapshot() {
    return new CompactionOptions(null, TombstoneHandling.APPLY, BadDeltaPolicy.FAIL);
  }

  /** An intermediate of one collection's deltas. */
  public static CompactionOptions intermediate(String collection, BadDeltaPolicy badDeltas) {
    return new CompactionOptions(collection, TombstoneHandling.APPLY_AND_CARRY, badDeltas);
  }

  /** The same options, with versions tracked and gated also by {@code reference} (may be null). */
  public CompactionOptions versioned(Path reference) {
    return new CompactionOptions(
        collection, tombstones, badDeltas, VersionTracking.TRACK, reference);
  }

  boolean takes(String collectionName) {
    return collection == null || collection.equals(collectionName);
  }
}
