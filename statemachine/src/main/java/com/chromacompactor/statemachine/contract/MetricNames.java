package com.chromacompactor.statemachine.contract;

/**
 * The workers' custom CloudWatch metrics. The task role may call PutMetricData only for {@link #NAMESPACE}.
 *
 * <p>Alarms need an exact dimension match: besides the per-batch/per-collection datapoints, a worker publishes
 * {@link #MEMORY_USAGE_PERCENT} (and the other metrics the dashboard graphs) once more with no dimension, which is the
 * series the memory alarm and the dashboard watch.
 */
public final class MetricNames {
    public static final String NAMESPACE = "ChromaDB/Compaction";

    public static final String MEMORY_USAGE_PERCENT = "MemoryUsagePercent";
    public static final String PEAK_RSS_MB = "PeakRssMb";
    public static final String EMBEDDINGS_PER_SECOND = "EmbeddingsPerSecond";
    public static final String DELTA_PROCESSING_MS = "DeltaProcessingMs";
    public static final String DELTAS_PROCESSED = "DeltasProcessed";
    public static final String MODE = "Mode";
    /** Deltas recorded under {@code quarantine/} (count). Alarmed: a producer wrote something unreadable. */
    public static final String DELTAS_QUARANTINED = "DeltasQuarantined";
    /**
     * Deltas that Plan left for a later run because they are not complete yet (count, per Plan; no dimension: the
     * alarm and the dashboard take the maximum over the lineages).
     */
    public static final String WAITING_DELTAS = "WaitingDeltas";
    /**
     * How long the oldest waiting delta has waited, in seconds (0 when none waits). Alarmed: a producer's upload that
     * never completes is quarantined only after the incomplete-upload limit (24 h by default).
     */
    public static final String OLDEST_WAITING_DELTA_SECONDS = "OldestWaitingDeltaSeconds";

    public static final String DIMENSION_BATCH = "batch";
    public static final String DIMENSION_COLLECTION = "collection";

    private MetricNames() {
    }
}
