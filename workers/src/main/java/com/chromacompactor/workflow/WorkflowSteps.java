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
        sizes,
        Quarantine.Policy.parse(env.get(BAD_DELTA_POLICY)).name(),
        IntakeRules.fromEnvironment(env),
        target,
        build,
        RetentionRules.fromEnvironment(env),
        RetentionRules.Mode.fromEnvironment(env),
        claims,
        Clock.systemUTC());
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
   * The handlers with the default policy (bad deltas are quarantined) and the default intake rules.
   */
  public static Map<WorkflowStep, ActivityHandler> over(BlobStore bucket, ChunkSizes sizes) {
    return over(bucket, sizes, Quarantine.Policy.QUARANTINE.name());
  }

  /**
   * @param badDeltaPolicy {@code quarantine} or {@code fail}
   */
  public static Map<WorkflowStep, ActivityHandler> over(
      BlobStore bucket, ChunkSizes sizes, String badDeltaPolicy) {
    return over(bucket, sizes, badDeltaPolicy, IntakeRules.defaults());
  }

  /**
   * @param badDeltaPolicy {@code quarantine} or {@code fail}
   * @param rules how Plan tells complete deltas from those still uploading
   */
  public static Map<WorkflowStep, ActivityHandler> over(
      BlobStore bucket, ChunkSizes sizes, String badDeltaPolicy, IntakeRules rules) {
    return over(bucket, sizes, badDeltaPolicy, rules, ChromaTarget.DEFAULT);
  }

  /**
   * @param badDeltaPolicy {@code quarantine} or {@code fail}
   * @param rules how Plan tells complete deltas from those still uploading
   * @param target the readers' release line, which FinalMerge writes the snapshot for
   */
  public static Map<WorkflowStep, ActivityHandler> over(
      BlobStore bucket,
      ChunkSizes sizes,
      String badDeltaPolicy,
      IntakeRules rules,
      ChromaTarget target) {
    return over(
        bucket,
        sizes,
        badDeltaPolicy,
        rules,
        target,
        IndexBuild.DEFAULT,
        RetentionRules.defaults(),
        RetentionRules.Mode.DELETE,
        Clock.systemUTC());
  }

  /**
   * With the clock that ages deltas (tests move it instead of waiting a day), and the default
   * retention rules.
   */
  static Map<WorkflowStep, ActivityHandler> over(
      BlobStore bucket, ChunkSizes sizes, String badDeltaPolicy, IntakeRules rules, Clock clock) {
    return over(
        bucket,
        sizes,
        badDeltaPolicy,
        rules,
        ChromaTarget.DEFAULT,
        IndexBuild.DEFAULT,
        RetentionRules.defaults(),
        RetentionRules.Mode.DELETE,
        clock);
  }

  /**
   * Every handler; Plan's claims last {@link Claim#DEPLOYED_LEASE} and nobody is asked whether
   * their holder runs.
   *
   * @param target the readers' release line, which FinalMerge writes the snapshot for
   * @param build how FinalMerge builds the snapshot's HNSW indexes
   * @param retention what the CollectGarbage step keeps
   * @param gcMode whether it deletes, or only reports
   * @param clock "now" for every age: of deltas, claims and snapshots
   */
  public static Map<WorkflowStep, ActivityHandler> over(
      BlobStore bucket,
      ChunkSizes sizes,
      String badDeltaPolicy,
      IntakeRules rules,
      ChromaTarget target,
      IndexBuild build,
      RetentionRules retention,
      RetentionRules.Mode gcMode,
      Clock clock) {
    return over(
        bucket,
        sizes,
        badDeltaPolicy,
        rules,
        target,
        build,
        retention,
        gcMode,
        Claim.Terms.deployed(ClaimHolders.UNKNOWN),
        clock);
  }

  /**
   * @param claims how Plan claims a batch, and how it judges another execution's claim
   */
  static Map<WorkflowStep, ActivityHandler> over(
      BlobStore bucket,
      ChunkSizes sizes,
      String badDeltaPolicy,
      IntakeRules rules,
      ChromaTarget target,
      IndexBuild build,
      RetentionRules retention,
      RetentionRules.Mode gcMode,
      Claim.Terms claims,
      Clock clock) {
    Quarantine.Policy policy = Quarantine.Policy.parse(badDeltaPolicy);
    Map<WorkflowStep, ActivityHandler> steps = new EnumMap<>(WorkflowStep.class);
    steps.put(WorkflowStep.PLAN, new PlanStep(bucket, sizes, policy, rules, claims, clock));
    steps.put(WorkflowStep.COMPACT_CHUNK, new CompactChunkStep(bucket, policy, rules, clock));
    steps.put(WorkflowStep.FINAL_MERGE, new FinalMergeStep(bucket, target, build));
    steps.put(WorkflowStep.PUBLISH, new PublishStep(bucket));
    steps.put(WorkflowStep.CLEANUP, new CleanupStep(bucket));
    steps.put(WorkflowStep.COLLECT_GARBAGE, new GcStep(bucket, retention, gcMode, clock));
    return steps;
  }
}
