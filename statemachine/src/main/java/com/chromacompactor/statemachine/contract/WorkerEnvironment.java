package com.chromacompactor.statemachine.contract;

import java.util.List;

/**
 * Environment variables that the deployment sets on the worker container. The activity ARNs come
 * one per {@link WorkflowStep}, in {@link WorkflowStep#arnVariable()}.
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

  /**
   * Seconds ECS waits after SIGTERM before SIGKILL: finish or fail in-flight tasks (as retryable)
   * within it.
   */
  public static final String STOP_TIMEOUT_SECONDS = "COMPACTOR_STOP_TIMEOUT_SECONDS";

  /**
   * How long an unmarked delta's newest object must be old before Plan takes the delta ({@link
   * DurationText}, default {@code 10m}).
   */
  public static final String SETTLE = "COMPACTOR_SETTLE";

  /**
   * How long a delta may stay incomplete (waiting) before it is quarantined as {@code
   * INCOMPLETE_UPLOAD} ({@link DurationText}, default {@code 24h}).
   */
  public static final String INCOMPLETE_UPLOAD_LIMIT = "COMPACTOR_INCOMPLETE_UPLOAD_LIMIT";

  /**
   * The Chroma release line the published snapshots are written for: one of {@link
   * #CHROMA_VERSIONS}, the readers' release (the workers' {@code ChromaTarget}); unset means {@link
   * #DEFAULT_CHROMA_VERSION}.
   */
  public static final String CHROMA_VERSION = "COMPACTOR_CHROMA_VERSION";

  /** The values {@link #CHROMA_VERSION} may take, oldest first. */
  public static final List<String> CHROMA_VERSIONS = List.of("0.6", "1.0", "1.3", "1.5");

  public static final String DEFAULT_CHROMA_VERSION = "1.5";

  /**
   * Deltas per chunk by collection, {@code name=N,name=N} ({@link ChunkSizes#parseMapping}); a
   * collection it does not name gets {@link #CHUNK_SIZE_DEFAULT}. Unset or empty: none named.
   */
  public static final String CHUNK_SIZES = "COMPACTOR_CHUNK_SIZES";

  /**
   * Deltas per chunk of a collection {@link #CHUNK_SIZES} does not name (default {@link
   * ChunkSizes#DEFAULT_SIZE}).
   */
  public static final String CHUNK_SIZE_DEFAULT = "COMPACTOR_CHUNK_SIZE_DEFAULT";

  /**
   * How many published snapshots the CollectGarbage step keeps, {@code latest} included (default
   * 3).
   */
  public static final String GC_KEEP_SNAPSHOTS = "COMPACTOR_GC_KEEP_SNAPSHOTS";

  /** A snapshot younger than this is never deleted ({@link DurationText}, default {@code 24h}). */
  public static final String GC_MIN_SNAPSHOT_AGE = "COMPACTOR_GC_MIN_SNAPSHOT_AGE";

  /**
   * How long a consumed delta (and a finished plan) stays before it is deleted ({@link
   * DurationText}, 7d).
   */
  public static final String GC_DELTA_RETENTION = "COMPACTOR_GC_DELTA_RETENTION";

  /**
   * {@code true}: the CollectGarbage step only reports what it would delete (default {@code
   * false}).
   */
  public static final String GC_DRY_RUN = "COMPACTOR_GC_DRY_RUN";

  private WorkerEnvironment() {}
}
