package com.chromacompactor.statemachine.contract;

/**
 * The workers' custom CloudWatch metrics. The task role may call PutMetricData only for {@link
 * #NAMESPACE}.
 *
 * <p>Alarms need an exact dimension match: besides the per-batch/per-collection datapoints, a
 * worker publishes {@link #MEMORY_USAGE_PERCENT} (and the other metrics the dashboard graphs) once
 * more with no dimension, which is the series the memory alarm and the dashboard watch.
 */
public final class MetricNames {
  public static final String NAMESPACE = "ChromaDB/Compaction";

  public static final String MEMORY_USAGE_PERCENT = "MemoryUsagePercent";
  public static final String PEAK_RSS_MB = "PeakRssMb";
  public static final String EMBEDDINGS_PER_SECOND = "EmbeddingsPerSecond";
  public static final String DELTA_PROCESSING_MS = "DeltaProcessingMs";
  public static final String DELTAS_PROCESSED = "DeltasProcessed";
  public static final String MODE = "Mode";

  /**
   * Deltas recorded under {@code quarantine/} (count). Alarmed: a producer wrote something
   * unreadable.
   */
  public static final String DELTAS_QUARANTINED = "DeltasQuarantined";

  /**
   * Deltas that Plan left for a later run because they are not complete yet (count, per Plan; no
   * dimension: the alarm and the dashboard take the maximum over the lineages).
   */
  public static final String WAITING_DELTAS = "WaitingDeltas";

  /**
   * How long the oldest waiting delta has waited, in seconds (0 when none waits). Alarmed: a
   * producer's upload that never completes is quarantined only after the incomplete-upload limit
   * (24 h by default).
   */
  public static final String OLDEST_WAITING_DELTA_SECONDS = "OldestWaitingDeltaSeconds";

  /**
   * Bytes under {@code snapshots/} of a lineage after the CollectGarbage step (dimension {@link
   * #DIMENSION_LINEAGE}). S3's own storage metrics have no per-prefix figure and come once a day;
   * the step lists these keys anyway.
   */
  public static final String SNAPSHOT_BYTES = "SnapshotBytes";

  /** Bytes under {@code deltas/} of a lineage after the CollectGarbage step (dimension lineage). */
  public static final String DELTA_BYTES = "DeltaBytes";

  /** Deltas neither consumed nor quarantined when the CollectGarbage step ran (count). */
  public static final String PENDING_DELTAS = "PendingDeltas";

  /** How long ago the oldest pending delta arrived, in seconds (0 when none is pending). */
  public static final String OLDEST_PENDING_DELTA_SECONDS = "OldestPendingDeltaSeconds";

  /** Bytes the CollectGarbage step deleted. */
  public static final String GC_BYTES_FREED = "GcBytesFreed";

  /**
   * CollectGarbage steps that failed after their retries (count, no dimension), put by the state
   * machine itself: a failed GC fails no batch, so this metric and its alarm are where it shows.
   */
  public static final String GC_FAILURES = "GcFailures";

  public static final String DIMENSION_BATCH = "batch";
  public static final String DIMENSION_COLLECTION = "collection";

  /**
   * The lineage's name; {@link #ROOT_LINEAGE} for the bucket's root (a dimension value cannot be
   * empty).
   */
  public static final String DIMENSION_LINEAGE = "lineage";

  public static final String ROOT_LINEAGE = "(root)";

  /** The {@link #DIMENSION_LINEAGE} value of {@code lineage}. */
  public static String lineageDimension(Lineage lineage) {
    return lineage.isNone() ? ROOT_LINEAGE : lineage.name();
  }

  private MetricNames() {}
}
