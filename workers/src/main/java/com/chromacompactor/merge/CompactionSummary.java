package com.chromacompactor.merge;

/** The figures of one compaction, as {@code compact --json} prints them. */
public record CompactionSummary(
    int deltas,
    int collections,
    long recordsRead,
    long recordsWritten,
    long idsOverwritten,
    long tombstonesApplied,
    long peakHeapMb,
    double seconds) {}
