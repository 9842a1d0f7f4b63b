package com.chromacompactor.merge;

import com.chromacompactor.chroma.DeltaProblem;
import java.util.List;
import java.util.Map;

/**
 * The figures of one compaction, as {@code compact --json} prints them.
 *
 * @param recordsByCollection live records of each collection of the output, by name
 * @param refused deltas left out under {@link CompactionOptions.BadDeltaPolicy#SKIP}, in order
 * @param superseded writes and deletes of late deltas left out because the id had a later operation
 *     (versioned compactions only; always 0 for {@code compact})
 * @param deferred deltas left out because they were not complete yet ({@link
 *     DeltaNotReadyException}), in order; always empty for {@code compact}
 */
public record CompactionSummary(
    int deltas,
    int collections,
    long recordsRead,
    long recordsWritten,
    long idsOverwritten,
    long tombstonesApplied,
    long peakHeapMb,
    double seconds,
    Map<String, Long> recordsByCollection,
    List<RefusedDelta> refused,
    long superseded,
    List<DeferredDelta> deferred) {

  /** A delta that was left out, and why. */
  public record RefusedDelta(String delta, DeltaProblem problem, String detail) {}

  /**
   * A delta that was left out because it was not complete yet, and what was missing or different.
   */
  public record DeferredDelta(String delta, String detail) {}

  public CompactionSummary {
    recordsByCollection = Map.copyOf(recordsByCollection);
    refused = List.copyOf(refused);
    deferred = List.copyOf(deferred);
  }
}
