package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.aws.Resilience;
import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.hnsw.IndexBuild;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.S3BlobStore;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;

/** The handler of every activity of the workflow, over one bucket. */
public final class WorkflowSteps {
  private WorkflowSteps() {}

  /**
   * {@code quarantine} (default) or {@code fail}: what a delta that cannot be compacted does to its
   * batch.
   */
  public static final String BAD_DELTA_POLICY = "COMPACTOR_BAD_DELTA_POLICY";

  /**
   * {@code quantized} (default) or {@code exact}: how FinalMerge builds the snapshot's HNSW
   * indexes.
   */
  public static final String INDEX_BUILD = "COMPACTOR_INDEX_BUILD";

  // The intake rules come from WorkerEnvironment.SETTLE and .INCOMPLETE_UPLOAD_LIMIT
  // (IntakeRules.fromEnvironment),
  // the retention rules from WorkerEnvironment.GC_* (RetentionRules.fromEnvironment).

  /**
   * The handlers of the worker process: over the S3 bucket named by {@code COMPACTOR_BUCKET}, with
   * the AWS endpoint, chunk sizes, bad-delta policy, settle window, incomplete-upload limit, index
   * build and retention rules of the environment.
   */
  public static Map<WorkflowStep, ActivityHandler> fromEnvironment(Map<String, String> env) {
    String bucket = env.get(WorkerEnvironment.BUCKET);
    if (bucket == null || bucket.isBlank()) {
      throw new IllegalArgumentException(
          WorkerEnvironment.BUCKET + " must name the compaction bucket");
    }
    ChunkSizes sizes = chunkSizes(env);
    AwsClients clients = new AwsClients(AwsSettings.fromEnvironment(env));
    ChromaTarget target;
    try {
      target = ChromaTarget.parse(env.get(WorkerEnvironment.CHROMA_VERSION));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          WorkerEnvironment.CHROMA_VERSION + ": " + e.getMessage(), e);
    }
    IndexBuild build;
    try {
      build = IndexBuild.parse(env.get(INDEX_BUILD));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(INDEX_BUILD + ": " + e.getMessage(), e);
    }
    // Plan asks Step Functions whether the execution holding a claim still runs
    // (DescribeExecution).
    Claim.Terms claims =
        Claim.Terms.deployed(
            new StepFunctionsHolders(clients.stepFunctions(), Resilience.standard("sfn")));
    return over(
        new S3BlobStore(clients.s3(), bucket, Resilience.standard("s3")),
        Settings.defaults(sizes)
            .withBadDeltas(Quarantine.Policy.parse(env.get(BAD_DELTA_POLICY)))
            .withIntake(IntakeRules.fromEnvironment(env))
            .withTarget(target)
            .withBuild(build)
            .withRetention(
                RetentionRules.fromEnvironment(env), RetentionRules.Mode.fromEnvironment(env))
            .withClaims(claims));
  }

  /**
   * {@link WorkerEnvironment#CHUNK_SIZES} over {@link WorkerEnvironment#CHUNK_SIZE_DEFAULT}; unset:
   * the defaults.
   */
  static ChunkSizes chunkSizes(Map<String, String> env) {
    String fallback = env.get(WorkerEnvironment.CHUNK_SIZE_DEFAULT);
    return new ChunkSizes(
        fallback == null || fallback.isBlank()
            ? ChunkSizes.DEFAULT_SIZE
            : ChunkSizes.parseSize(WorkerEnvironment.CHUNK_SIZE_DEFAULT, fallback),
        ChunkSizes.parseMapping(
            WorkerEnvironment.CHUNK_SIZES, env.get(WorkerEnvironment.CHUNK_SIZES)));
  }

  /**
   * What the handlers are configured with, beside their bucket.
   *
   * @param badDeltas what a delta that cannot be compacted does to its batch
   * @param intake how Plan tells complete deltas from those still uploading
   * @param target the readers' release line, which FinalMerge writes the snapshot for
   * @param build how FinalMerge builds the snapshot's HNSW indexes
   * @param retention what the CollectGarbage step keeps
   * @param gcMode whether it deletes, or only reports
   * @param claims how Plan claims a batch, and how it judges another execution's claim
   * @param clock "now" for every age: of deltas, claims and snapshots (tests move it instead of
   *     waiting a day)
   */
  public record Settings(
      ChunkSizes sizes,
      Quarantine.Policy badDeltas,
      IntakeRules intake,
      ChromaTarget target,
      IndexBuild build,
      RetentionRules retention,
      RetentionRules.Mode gcMode,
      Claim.Terms claims,
      Clock clock) {

    /**
     * Bad deltas quarantined, the default intake, target, index build and retention; claims last
     * {@link Claim#DEPLOYED_LEASE} and nobody is asked whether their holder runs.
     */
    public static Settings defaults(ChunkSizes sizes) {
      return new Settings(
          sizes,
          Quarantine.Policy.QUARANTINE,
          IntakeRules.defaults(),
          ChromaTarget.DEFAULT,
          IndexBuild.DEFAULT,
          RetentionRules.defaults(),
          RetentionRules.Mode.DELETE,
          Claim.Terms.deployed(ClaimHolders.UNKNOWN),
          Clock.systemUTC());
    }

    public Settings withBadDeltas(Quarantine.Policy p) {
      return new Settings(sizes, p, intake, target, build, retention, gcMode, claims, clock);
    }

    public Settings withIntake(IntakeRules r) {
      return new Settings(sizes, badDeltas, r, target, build, retention, gcMode, claims, clock);
    }

    public Settings withTarget(ChromaTarget t) {
      return new Settings(sizes, badDeltas, intake, t, build, retention, gcMode, claims, clock);
    }

    public Settings withBuild(IndexBuild b) {
      return new Settings(sizes, badDeltas, intake, target, b, retention, gcMode, claims, clock);
    }

    public Settings withRetention(RetentionRules r, RetentionRules.Mode mode) {
      return new Settings(sizes, badDeltas, intake, target, build, r, mode, claims, clock);
    }

    public Settings withClaims(Claim.Terms c) {
      return new Settings(sizes, badDeltas, intake, target, build, retention, gcMode, c, clock);
    }

    public Settings withClock(Clock c) {
      return new Settings(sizes, badDeltas, intake, target, build, retention, gcMode, claims, c);
    }
  }

  /** The handlers with the default settings and these chunk sizes. */
  public static Map<WorkflowStep, ActivityHandler> over(BlobStore bucket, ChunkSizes sizes) {
    return over(bucket, Settings.defaults(sizes));
  }

  /** Every handler, over {@code bucket}. */
  public static Map<WorkflowStep, ActivityHandler> over(BlobStore bucket, Settings settings) {
    Quarantine.Policy policy = settings.badDeltas();
    IntakeRules rules = settings.intake();
    Clock clock = settings.clock();
    Map<WorkflowStep, ActivityHandler> steps = new EnumMap<>(WorkflowStep.class);
    steps.put(
        WorkflowStep.PLAN,
        new PlanStep(bucket, settings.sizes(), policy, rules, settings.claims(), clock));
    steps.put(WorkflowStep.COMPACT_CHUNK, new CompactChunkStep(bucket, policy, rules, clock));
    steps.put(
        WorkflowStep.FINAL_MERGE, new FinalMergeStep(bucket, settings.target(), settings.build()));
    steps.put(WorkflowStep.PUBLISH, new PublishStep(bucket));
    steps.put(WorkflowStep.CLEANUP, new CleanupStep(bucket));
    steps.put(
        WorkflowStep.COLLECT_GARBAGE,
        new GcStep(bucket, settings.retention(), settings.gcMode(), clock));
    return steps;
  }
}
