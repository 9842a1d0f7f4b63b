package com.chromacompactor.merge;

import java.util.List;
import java.util.Map;

/**
 * The figures of one compaction, as {@code compact --json} prints them.
 *
 * @param recordsByCollection live records of each collection of the output, by name
 * @param refused             deltas left out under {@link CompactionOptions.BadDeltaPolicy#SKIP}, in order
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
    List<RefusedDelta> refused) {

  /** A delta that was left out, and why. */
  public record RefusedDelta(String delta, String problem, String detail) {}

  public CompactionSummary {
    recordsByCollection = Map.copyOf(recordsByCollection);
    refused = List.copyOf(refused);
  }
}
