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

    public static final String DIMENSION_BATCH = "batch";
    public static final String DIMENSION_COLLECTION = "collection";

    private MetricNames() {
    }
}
