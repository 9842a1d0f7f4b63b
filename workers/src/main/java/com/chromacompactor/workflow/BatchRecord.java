package com.chromacompactor.workflow;

import com.chromacompactor.merge.DeltaVersion;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@code plans/<batch>/batch.json}, written by Plan beside the plan: the snapshot the batch merges
 * on (read once, so that every chunk and the final merge agree on it, and Publish's conditional
 * write loses if it moved), the highest version that snapshot holds, and each planned delta's
 * version and arrival.
 *
 * @param base the published snapshot when Plan ran; a null prefix when nothing was published
 * @param baseHighWater the highest delta version merged into the base (null if none, or a base
 *     written before versions): a delta at or below it is late
 * @param deltas the planned deltas, in merge order
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
record BatchRecord(
    String batchId,
    OutputManifest.Base base,
    DeltaVersion baseHighWater,
    List<PlannedDelta> deltas) {
  static final String FILE = "batch.json";

  BatchRecord {
    deltas = List.copyOf(deltas);
  }

  /** Whether a delta arrived after deltas that come later in the write order were published. */
  enum Arrival {
    /** Above everything the base holds: merged as it comes. */
    IN_ORDER,
    /**
     * At or below the base's high-water mark: each of its operations is gated by the ids' recorded
     * versions.
     */
    LATE
  }

  /**
   * One planned delta.
   *
   * @param sequence its sequence (the marker's, or an unmarked delta's upload time in ms)
   * @param firstSeen when its first object arrived: the incomplete-upload limit counts from it
   */
  record PlannedDelta(String key, long sequence, Instant firstSeen, Arrival arrival) {
    DeltaVersion version() {
      return new DeltaVersion(sequence, key);
    }
  }

  Map<String, PlannedDelta> byKey() {
    return deltas.stream().collect(Collectors.toMap(PlannedDelta::key, Function.identity()));
  }

  /**
   * The highest version of the base and of this batch's deltas: the new snapshot's high-water mark.
   */
  DeltaVersion highWater() {
    DeltaVersion top = baseHighWater;
    for (PlannedDelta d : deltas) {
      top = DeltaVersion.max(top, d.version());
    }
    return top;
  }

  Optional<OutputManifest.Base> publishedBase() {
    return base == null || base.prefix() == null ? Optional.empty() : Optional.of(base);
  }
}
