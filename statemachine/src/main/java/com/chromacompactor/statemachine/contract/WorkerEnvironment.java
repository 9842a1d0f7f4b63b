package com.chromacompactor.statemachine.contract;

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

    private WorkerEnvironment() {
    }
}
