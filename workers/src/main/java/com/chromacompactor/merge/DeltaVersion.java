package com.chromacompactor.merge;

import java.util.Comparator;
import java.util.Objects;

/**
 * Where a delta stands in its lineage's write order: its sequence, then its key. Deltas merge in
 * this order, and a write or delete changes an id only if it comes at or after the id's last
 * recorded operation ({@link RecordVersions}). Two different deltas never have equal versions
 * (their keys differ); an equal version is the same delta merged again, whose operations apply
 * again (an upsert and a delete are idempotent).
 *
 * @param sequence the producer's sequence from the delta's commit marker, or an unmarked delta's
 *     upload time in milliseconds since the epoch
 * @param deltaKey the delta's folder key within its lineage, e.g. {@code deltas/2026-12-06-a/}
 */
public record DeltaVersion(long sequence, String deltaKey) implements Comparable<DeltaVersion> {
  private static final Comparator<DeltaVersion> ORDER =
      Comparator.comparingLong(DeltaVersion::sequence).thenComparing(DeltaVersion::deltaKey);

  public DeltaVersion {
    if (sequence < 0) {
      throw new IllegalArgumentException(
          "sequence must be >= 0, got " + sequence + " for " + deltaKey);
    }
    Objects.requireNonNull(deltaKey, "deltaKey");
  }

  @Override
  public int compareTo(DeltaVersion other) {
    return ORDER.compare(this, other);
  }

  /** The later of two versions; either may be null. */
  public static DeltaVersion max(DeltaVersion a, DeltaVersion b) {
    if (a == null) {
      return b;
    }
    return b == null || a.compareTo(b) >= 0 ? a : b;
  }

  @Override
  public String toString() {
    return deltaKey + "@" + sequence;
  }
}
