package com.chromacompactor.infra;

import com.chromacompactor.statemachine.CompactionWorkflow;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import java.util.Objects;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ecs.ContainerImage;

/**
 * Properties of {@link MergeWorkers}. {@link Builder#workflow} and {@link Builder#image} are
 * required; every other field has the default given on its builder method.
 */
public final class MergeWorkersProps {
  private final CompactionWorkflow workflow;
  private final ContainerImage image;
  private final IVpc vpc;
  private final int cpu;
  private final int memoryMiB;
  private final int ephemeralStorageGiB;
  private final int minWorkers;
  private final int maxWorkers;
  private final int concurrency;
  private final Duration heartbeatInterval;
  private final Duration stopTimeout;
  private final Duration settle;
  private final Duration incompleteUploadLimit;
  private final String chromaVersion;
  private final int keepSnapshots;
  private final Duration minSnapshotAge;
  private final Duration deltaRetention;
  private final boolean gcDryRun;
  private final ChunkSizes chunkSizes;

  private MergeWorkersProps(Builder b) {
    this.workflow = Objects.requireNonNull(b.workflow, "workflow is required");
    this.image = Objects.requireNonNull(b.image, "image is required");
    this.vpc = b.vpc;
    this.cpu = b.cpu;
    this.memoryMiB = b.memoryMiB;
    this.ephemeralStorageGiB = b.ephemeralStorageGiB;
    if (b.minWorkers < 0 || b.maxWorkers < 1 || b.minWorkers > b.maxWorkers) {
      throw new IllegalArgumentException(
          "need 0 <= minWorkers <= maxWorkers, maxWorkers >= 1; got "
              + b.minWorkers
              + ".."
              + b.maxWorkers);
    }
    this.minWorkers = b.minWorkers;
    this.maxWorkers = b.maxWorkers;
    if (b.concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be >= 1, got " + b.concurrency);
    }
    this.concurrency = b.concurrency;
    this.heartbeatInterval =
        b.heartbeatInterval != null
            ? b.heartbeatInterval
            : Duration.seconds(
                Math.max(5, workflow.getProps().getHeartbeat().toSeconds().intValue() / 3));
    if (b.stopTimeout.toSeconds().intValue() > 120) {
      throw new IllegalArgumentException(
          "Fargate allows a stop timeout of at most 120 s, got " + b.stopTimeout.toSeconds());
    }
    this.stopTimeout = b.stopTimeout;
    this.settle = b.settle;
    this.incompleteUploadLimit = b.incompleteUploadLimit;
    if (!WorkerEnvironment.CHROMA_VERSIONS.contains(b.chromaVersion)) {
      throw new IllegalArgumentException(
          "chromaVersion must be one of "
              + WorkerEnvironment.CHROMA_VERSIONS
              + ", got '"
              + b.chromaVersion
              + "'");
    }
    this.chromaVersion = b.chromaVersion;
    if (b.keepSnapshots < 1) {
      throw new IllegalArgumentException(
          "keepSnapshots must be >= 1 (latest), got " + b.keepSnapshots);
    }
    this.keepSnapshots = b.keepSnapshots;
    this.minSnapshotAge = b.minSnapshotAge;
    this.deltaRetention = b.deltaRetention;
    this.gcDryRun = b.gcDryRun;
    this.chunkSizes = b.chunkSizes;
  }

  public static Builder builder() {
    return new Builder();
  }

  public CompactionWorkflow getWorkflow() {
    return workflow;
  }

  public ContainerImage getImage() {
    return image;
  }

  /** Null: the construct creates a VPC. */
  public IVpc getVpc() {
    return vpc;
  }

  public int getCpu() {
    return cpu;
  }

  public int getMemoryMiB() {
    return memoryMiB;
  }

  public int getEphemeralStorageGiB() {
    return ephemeralStorageGiB;
  }

  public int getMinWorkers() {
    return minWorkers;
  }

  public int getMaxWorkers() {
    return maxWorkers;
  }

  public int getConcurrency() {
    return concurrency;
  }

  public Duration getHeartbeatInterval() {
    return heartbeatInterval;
  }

  public Duration getSettle() {
    return settle;
  }

  public Duration getIncompleteUploadLimit() {
    return incompleteUploadLimit;
  }

  public Duration getStopTimeout() {
    return stopTimeout;
  }

  /**
   * The readers' chromadb release line the snapshots are written for, passed as {@code
   * COMPACTOR_CHROMA_VERSION}.
   */
  public String getChromaVersion() {
    return chromaVersion;
  }

  public int getKeepSnapshots() {
    return keepSnapshots;
  }

  public Duration getMinSnapshotAge() {
    return minSnapshotAge;
  }

  public Duration getDeltaRetention() {
    return deltaRetention;
  }

  public boolean isGcDryRun() {
    return gcDryRun;
  }

  /**
   * Deltas per chunk, by collection and for the others, passed as {@code COMPACTOR_CHUNK_SIZES} and
   * its default.
   */
  public ChunkSizes getChunkSizes() {
    return chunkSizes;
  }

  /** Builder for {@link MergeWorkersProps}. */
  public static final class Builder {
    private CompactionWorkflow workflow;
    private ContainerImage image;
    private IVpc vpc;
    private int cpu = CompactorSettings.DEFAULT_WORKER_CPU;
    private int memoryMiB = CompactorSettings.DEFAULT_WORKER_MEMORY_MIB;
    private int ephemeralStorageGiB = CompactorSettings.DEFAULT_WORKER_EPHEMERAL_STORAGE_GIB;
    private int minWorkers = CompactorSettings.DEFAULT_MIN_WORKERS;
    private int maxWorkers = CompactorSettings.DEFAULT_MAX_WORKERS;
    private int concurrency = CompactorSettings.DEFAULT_WORKER_CONCURRENCY;
    private Duration heartbeatInterval;
    private Duration stopTimeout = Duration.seconds(120);
    private Duration settle = Duration.minutes(10);
    private Duration incompleteUploadLimit = Duration.hours(24);
    private String chromaVersion = WorkerEnvironment.DEFAULT_CHROMA_VERSION;
    private int keepSnapshots = CompactorSettings.DEFAULT_KEEP_SNAPSHOTS;
    private Duration minSnapshotAge = Duration.hours(24);
    private Duration deltaRetention = Duration.days(7);
    private boolean gcDryRun;
    private ChunkSizes chunkSizes = ChunkSizes.defaults();

    private Builder() {}

    /** The workflow whose activities the workers poll, and whose bucket they use. Required. */
    public Builder workflow(CompactionWorkflow workflow) {
      this.workflow = workflow;
      return this;
    }

    /** The worker image, e.g. {@link WorkerImage#fromDirectory}. Required. */
    public Builder image(ContainerImage image) {
      this.image = image;
      return this;
    }

    /**
     * Where the tasks run. @default a new VPC: 2 AZs, public subnets only, no NAT, an S3 gateway
     * endpoint
     */
    public Builder vpc(IVpc vpc) {
      this.vpc = vpc;
      return this;
    }

    /** Task CPU units. @default 1024 */
    public Builder cpu(int cpu) {
      this.cpu = cpu;
      return this;
    }

    /** Task memory. @default 4096 MiB */
    public Builder memoryMiB(int memoryMiB) {
      this.memoryMiB = memoryMiB;
      return this;
    }

    /** Task scratch space (mounted at /tmp; the root file system is read-only). @default 40 GiB */
    public Builder ephemeralStorageGiB(int gib) {
      this.ephemeralStorageGiB = gib;
      return this;
    }

    /** Fewest tasks; 0 lets the service scale to zero between runs. @default 0 */
    public Builder minWorkers(int minWorkers) {
      this.minWorkers = minWorkers;
      return this;
    }

    /** Most tasks. @default 10 */
    public Builder maxWorkers(int maxWorkers) {
      this.maxWorkers = maxWorkers;
      return this;
    }

    /** Activity tasks one worker runs at once. @default 2 */
    public Builder concurrency(int concurrency) {
      this.concurrency = concurrency;
      return this;
    }

    /**
     * How often a worker heartbeats a task. @default a third of the workflow's heartbeat, at least
     * 5 s
     */
    public Builder heartbeatInterval(Duration interval) {
      this.heartbeatInterval = interval;
      return this;
    }

    /**
     * How old an unmarked delta's newest object must be before Plan takes it ({@code
     * COMPACTOR_SETTLE}).
     *
     * @default 10 minutes
     */
    public Builder settle(Duration settle) {
      this.settle = Objects.requireNonNull(settle, "settle");
      return this;
    }

    /**
     * How long a delta may stay incomplete before it is quarantined ({@code
     * COMPACTOR_INCOMPLETE_UPLOAD_LIMIT}).
     *
     * @default 24 hours
     */
    public Builder incompleteUploadLimit(Duration limit) {
      this.incompleteUploadLimit = Objects.requireNonNull(limit, "incompleteUploadLimit");
      return this;
    }

    /**
     * Published snapshots the CollectGarbage step keeps ({@code
     * COMPACTOR_GC_KEEP_SNAPSHOTS}). @default 3
     */
    public Builder keepSnapshots(int keepSnapshots) {
      this.keepSnapshots = keepSnapshots;
      return this;
    }

    /**
     * No snapshot younger than this is deleted ({@code COMPACTOR_GC_MIN_SNAPSHOT_AGE}). @default 24
     * hours
     */
    public Builder minSnapshotAge(Duration age) {
      this.minSnapshotAge = Objects.requireNonNull(age, "minSnapshotAge");
      return this;
    }

    /**
     * How long consumed deltas and finished plans stay ({@code
     * COMPACTOR_GC_DELTA_RETENTION}). @default 7 days
     */
    public Builder deltaRetention(Duration retention) {
      this.deltaRetention = Objects.requireNonNull(retention, "deltaRetention");
      return this;
    }

    /**
     * The CollectGarbage step only reports what it would delete ({@code
     * COMPACTOR_GC_DRY_RUN}). @default false
     */
    public Builder gcDryRun(boolean dryRun) {
      this.gcDryRun = dryRun;
      return this;
    }

    /**
     * Deltas per chunk by collection, and for every other collection ({@code
     * COMPACTOR_CHUNK_SIZES}, {@code COMPACTOR_CHUNK_SIZE_DEFAULT}). @default 25 for every
     * collection
     */
    public Builder chunkSizes(ChunkSizes chunkSizes) {
      this.chunkSizes = Objects.requireNonNull(chunkSizes, "chunkSizes");
      return this;
    }

    /** Time between SIGTERM and SIGKILL (Fargate: at most 120 s). @default 120 seconds */
    public Builder stopTimeout(Duration stopTimeout) {
      this.stopTimeout = Objects.requireNonNull(stopTimeout, "stopTimeout");
      return this;
    }

    /**
     * The chromadb release line of the readers: {@code 0.6}, {@code 1.0}, {@code 1.3} or {@code
     * 1.5}.
     *
     * @default 1.5
     */
    public Builder chromaVersion(String chromaVersion) {
      this.chromaVersion = Objects.requireNonNull(chromaVersion, "chromaVersion");
      return this;
    }

    public MergeWorkersProps build() {
      return new MergeWorkersProps(this);
    }
  }
}
