package com.chromacompactor.statemachine;

import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.stepfunctions.IActivity;
import software.amazon.awscdk.services.stepfunctions.LogOptions;

/**
 * Properties of {@link CompactionWorkflow}. Only {@link Builder#bucket(IBucket)} is required; every
 * other field has the default given on its builder method. Values are checked in {@link
 * Builder#build()}.
 */
public final class CompactionWorkflowProps {
  /** Largest plan (in embeddings) that runs in PARALLEL mode; larger ones run SEQUENTIAL. */
  public static final long DEFAULT_PARALLEL_MODE_MAX_EMBEDDINGS = 1_500;

  /** Largest chunk count that fans out with an inline Map; more chunks use a Distributed Map. */
  public static final int DEFAULT_INLINE_MAP_MAX_CHUNKS = 100;

  /**
   * {@code States.ArrayRange}, which lists the inline Map's chunk indexes, returns at most 1,000
   * items.
   */
  public static final int INLINE_MAP_LIMIT = 1_000;

  public static final int DEFAULT_MAX_CONCURRENCY = 20;
  public static final Duration DEFAULT_HEARTBEAT = Duration.seconds(60);
  public static final Duration DEFAULT_CHUNK_TIMEOUT = Duration.hours(1);
  public static final Duration DEFAULT_STEP_TIMEOUT = Duration.hours(2);
  public static final Duration DEFAULT_EXECUTION_TIMEOUT = Duration.hours(24);
  public static final int DEFAULT_RETRY_ATTEMPTS = 3;
  public static final Duration DEFAULT_RETRY_INTERVAL = Duration.seconds(5);
  public static final double DEFAULT_RETRY_BACKOFF_RATE = 2.0;
  public static final Duration DEFAULT_RETRY_MAX_DELAY = Duration.seconds(60);

  private final IBucket bucket;
  private final Map<WorkflowStep, IActivity> activities;
  private final long parallelModeMaxEmbeddings;
  private final int inlineMapMaxChunks;
  private final int maxConcurrency;
  private final Duration heartbeat;
  private final Duration chunkTimeout;
  private final Duration stepTimeout;
  private final Duration executionTimeout;
  private final int retryAttempts;
  private final Duration retryInterval;
  private final double retryBackoffRate;
  private final Duration retryMaxDelay;
  private final LogOptions logs;
  private final List<Lineage> lineages;

  private CompactionWorkflowProps(Builder b) {
    this.bucket = Objects.requireNonNull(b.bucket, "bucket is required");
    this.activities = Collections.unmodifiableMap(new EnumMap<>(b.activities));
    this.parallelModeMaxEmbeddings =
        requireAtLeast("parallelModeMaxEmbeddings", b.parallelModeMaxEmbeddings, 0);
    this.inlineMapMaxChunks = (int) requireAtLeast("inlineMapMaxChunks", b.inlineMapMaxChunks, 0);
    if (inlineMapMaxChunks > INLINE_MAP_LIMIT) {
      throw new IllegalArgumentException(
          "inlineMapMaxChunks must be <= "
              + INLINE_MAP_LIMIT
              + " (States.ArrayRange limit), got "
              + inlineMapMaxChunks);
    }
    this.maxConcurrency = (int) requireAtLeast("maxConcurrency", b.maxConcurrency, 1);
    this.heartbeat = b.heartbeat;
    this.chunkTimeout = b.chunkTimeout;
    this.stepTimeout = b.stepTimeout;
    this.executionTimeout = b.executionTimeout;
    requireLonger("chunkTimeout", chunkTimeout, heartbeat);
    requireLonger("stepTimeout", stepTimeout, heartbeat);
    this.retryAttempts = (int) requireAtLeast("retryAttempts", b.retryAttempts, 0);
    this.retryInterval = b.retryInterval;
    if (!(b.retryBackoffRate >= 1.0)) {
      throw new IllegalArgumentException(
          "retryBackoffRate must be >= 1.0, got " + b.retryBackoffRate);
    }
    this.retryBackoffRate = b.retryBackoffRate;
    this.retryMaxDelay = b.retryMaxDelay;
    this.logs = b.logs;
    if (b.lineages.isEmpty()) {
      throw new IllegalArgumentException(
          "lineages must name at least one lineage (Lineage.NONE: the bucket's root)");
    }
    if (new HashSet<>(b.lineages).size() != b.lineages.size()) {
      throw new IllegalArgumentException("lineages lists one twice: " + b.lineages);
    }
    this.lineages = List.copyOf(b.lineages);
  }

  public static Builder builder() {
    return new Builder();
  }

  public IBucket getBucket() {
    return bucket;
  }

  /** Activities passed in; the construct creates the missing ones. */
  public Map<WorkflowStep, IActivity> getActivities() {
    return activities;
  }

  public long getParallelModeMaxEmbeddings() {
    return parallelModeMaxEmbeddings;
  }

  public int getInlineMapMaxChunks() {
    return inlineMapMaxChunks;
  }

  public int getMaxConcurrency() {
    return maxConcurrency;
  }

  public Duration getHeartbeat() {
    return heartbeat;
  }

  public Duration getChunkTimeout() {
    return chunkTimeout;
  }

  public Duration getStepTimeout() {
    return stepTimeout;
  }

  public Duration getExecutionTimeout() {
    return executionTimeout;
  }

  public int getRetryAttempts() {
    return retryAttempts;
  }

  public Duration getRetryInterval() {
    return retryInterval;
  }

  public double getRetryBackoffRate() {
    return retryBackoffRate;
  }

  public Duration getRetryMaxDelay() {
    return retryMaxDelay;
  }

  /** The lineages the workflow serves: its workers may use their keys only. */
  public List<Lineage> getLineages() {
    return lineages;
  }

  /** Null when the state machine does not log. */
  public LogOptions getLogs() {
    return logs;
  }

  private static long requireAtLeast(String name, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
    }
    return value;
  }

  private static void requireLonger(String name, Duration timeout, Duration heartbeat) {
    if (timeout.toSeconds().doubleValue() <= heartbeat.toSeconds().doubleValue()) {
      throw new IllegalArgumentException(
          name
              + " ("
              + timeout.toSeconds()
              + " s) must be longer than heartbeat ("
              + heartbeat.toSeconds()
              + " s)");
    }
  }

  /** Builder for {@link CompactionWorkflowProps}. */
  public static final class Builder {
    private IBucket bucket;
    private final Map<WorkflowStep, IActivity> activities = new EnumMap<>(WorkflowStep.class);
    private long parallelModeMaxEmbeddings = DEFAULT_PARALLEL_MODE_MAX_EMBEDDINGS;
    private long inlineMapMaxChunks = DEFAULT_INLINE_MAP_MAX_CHUNKS;
    private long maxConcurrency = DEFAULT_MAX_CONCURRENCY;
    private Duration heartbeat = DEFAULT_HEARTBEAT;
    private Duration chunkTimeout = DEFAULT_CHUNK_TIMEOUT;
    private Duration stepTimeout = DEFAULT_STEP_TIMEOUT;
    private Duration executionTimeout = DEFAULT_EXECUTION_TIMEOUT;
    private long retryAttempts = DEFAULT_RETRY_ATTEMPTS;
    private Duration retryInterval = DEFAULT_RETRY_INTERVAL;
    private double retryBackoffRate = DEFAULT_RETRY_BACKOFF_RATE;
    private Duration retryMaxDelay = DEFAULT_RETRY_MAX_DELAY;
    private LogOptions logs;
    private List<Lineage> lineages = List.of(Lineage.NONE);

    private Builder() {}

    /**
     * The snapshot lines that executions may name ({@code {"lineage": "words"}}); the worker's IAM
     * grants cover their keys only. {@link Lineage#NONE} is the bucket's root.
     *
     * @default only {@link Lineage#NONE}
     */
    public Builder lineages(List<Lineage> lineages) {
      this.lineages = List.copyOf(Objects.requireNonNull(lineages, "lineages"));
      return this;
    }

    /** The bucket that holds deltas, intermediates, plans and snapshots. Required. */
    public Builder bucket(IBucket bucket) {
      this.bucket = bucket;
      return this;
    }

    /**
     * Use an existing activity for a step. @default a new {@code Activity} with a generated name
     */
    public Builder activity(WorkflowStep step, IActivity activity) {
      activities.put(
          Objects.requireNonNull(step, "step"), Objects.requireNonNull(activity, "activity"));
      return this;
    }

    /**
     * Plans with more embeddings than this run SEQUENTIAL, others PARALLEL.
     *
     * @default {@value #DEFAULT_PARALLEL_MODE_MAX_EMBEDDINGS}
     */
    public Builder parallelModeMaxEmbeddings(long threshold) {
      this.parallelModeMaxEmbeddings = threshold;
      return this;
    }

    /**
     * Plans with more chunks than this use the Distributed Map; 0 means always. At most {@value
     * #INLINE_MAP_LIMIT}.
     *
     * @default {@value #DEFAULT_INLINE_MAP_MAX_CHUNKS}
     */
    public Builder inlineMapMaxChunks(int chunks) {
      this.inlineMapMaxChunks = chunks;
      return this;
    }

    /**
     * Chunks in flight at once, in either Map. Match it to workers x slots: a CompactChunk task's
     * TimeoutSeconds counts the time it waits for a free worker. The inline Map runs at most 40 at
     * once whatever this says.
     *
     * @default {@value #DEFAULT_MAX_CONCURRENCY}
     */
    public Builder maxConcurrency(int maxConcurrency) {
      this.maxConcurrency = maxConcurrency;
      return this;
    }

    /** HeartbeatSeconds of every activity task. @default 60 seconds */
    public Builder heartbeat(Duration heartbeat) {
      this.heartbeat = Objects.requireNonNull(heartbeat, "heartbeat");
      return this;
    }

    /** TimeoutSeconds of CompactChunk, from scheduling (queueing counts). @default 1 hour */
    public Builder chunkTimeout(Duration timeout) {
      this.chunkTimeout = Objects.requireNonNull(timeout, "chunkTimeout");
      return this;
    }

    /** TimeoutSeconds of Plan, FinalMerge, Publish and Cleanup. @default 2 hours */
    public Builder stepTimeout(Duration timeout) {
      this.stepTimeout = Objects.requireNonNull(timeout, "stepTimeout");
      return this;
    }

    /** TimeoutSeconds of the whole execution. @default 24 hours */
    public Builder executionTimeout(Duration timeout) {
      this.executionTimeout = Objects.requireNonNull(timeout, "executionTimeout");
      return this;
    }

    /**
     * MaxAttempts of the Retry on {@code ErrorNames.RETRYABLE}. @default {@value
     * #DEFAULT_RETRY_ATTEMPTS}
     */
    public Builder retryAttempts(int attempts) {
      this.retryAttempts = attempts;
      return this;
    }

    /** IntervalSeconds of the first retry. @default 5 seconds */
    public Builder retryInterval(Duration interval) {
      this.retryInterval = Objects.requireNonNull(interval, "retryInterval");
      return this;
    }

    /** BackoffRate of the retries. @default {@value #DEFAULT_RETRY_BACKOFF_RATE} */
    public Builder retryBackoffRate(double rate) {
      this.retryBackoffRate = rate;
      return this;
    }

    /** MaxDelaySeconds, the cap on one retry's backoff (before jitter). @default 60 seconds */
    public Builder retryMaxDelay(Duration maxDelay) {
      this.retryMaxDelay = Objects.requireNonNull(maxDelay, "retryMaxDelay");
      return this;
    }

    /** Execution logging. @default no logging */
    public Builder logs(LogOptions logs) {
      this.logs = logs;
      return this;
    }

    public CompactionWorkflowProps build() {
      return new CompactionWorkflowProps(this);
    }
  }
}
