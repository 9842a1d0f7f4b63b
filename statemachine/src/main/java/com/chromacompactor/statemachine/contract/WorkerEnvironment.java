package com.chromacompactor.statemachine.contract;

import java.util.List;

/**
 * Environment variables that the deployment sets on the worker container. The activity ARNs come one per
 * {@link WorkflowStep}, in {@link WorkflowStep#arnVariable()}.
 */
public final class WorkerEnvironment {
    /** Name of the compaction bucket. */
    public static final String BUCKET = "COMPACTOR_BUCKET";
    /** CloudWatch namespace for the custom metrics; {@link MetricNames#NAMESPACE}. */
    public static final String METRICS_NAMESPACE = "COMPACTOR_METRICS_NAMESPACE";
    /** Tasks one worker process runs at once (one poller thread per slot). */
    public static final String CONCURRENCY = "COMPACTOR_WORKER_CONCURRENCY";
    /** Seconds between SendTaskHeartbeat calls; well below the states' HeartbeatSeconds. */
    public static final String HEARTBEAT_INTERVAL_SECONDS = "COMPACTOR_HEARTBEAT_INTERVAL_SECONDS";
    /** Seconds ECS waits after SIGTERM before SIGKILL: finish or fail in-flight tasks (as retryable) within it. */
    public static final String STOP_TIMEOUT_SECONDS = "COMPACTOR_STOP_TIMEOUT_SECONDS";
    /**
     * How long an unmarked delta's newest object must be old before Plan takes the delta ({@link DurationText}, default
     * {@code 10m}).
     */
    public static final String SETTLE = "COMPACTOR_SETTLE";
    /**
     * How long a delta may stay incomplete (waiting) before it is quarantined as {@code INCOMPLETE_UPLOAD}
     * ({@link DurationText}, default {@code 24h}).
     */
    public static final String INCOMPLETE_UPLOAD_LIMIT = "COMPACTOR_INCOMPLETE_UPLOAD_LIMIT";
    /**
     * The Chroma release line the published snapshots are written for: one of {@link #CHROMA_VERSIONS}, the readers'
     * release (the workers' {@code ChromaTarget}); unset means {@link #DEFAULT_CHROMA_VERSION}.
     */
    public static final String CHROMA_VERSION = "COMPACTOR_CHROMA_VERSION";
    /** The values {@link #CHROMA_VERSION} may take, oldest first. */
    public static final List<String> CHROMA_VERSIONS = List.of("0.6", "1.0", "1.3", "1.5");
    public static final String DEFAULT_CHROMA_VERSION = "1.5";

    private WorkerEnvironment() {
    }
}
