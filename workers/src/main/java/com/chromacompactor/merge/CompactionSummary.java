package com.chromacompactor.merge;

import java.util.Map;

/**
 * The figures of one compaction, as {@code compact --json} prints them.
 *
 * @param recordsByCollection live records of each collection of the output, by name
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
    Map<String, Long> recordsByCollection) {

  public CompactionSummary {
    recordsByCollection = Map.copyOf(recordsByCollection);
  }
}
