package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.ErrorClassifier;
import com.chromacompactor.activity.TaskCancelledException;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.files.FileTrees;
import com.chromacompactor.statemachine.contract.ChunkResult;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.ChunkTask;
import com.chromacompactor.statemachine.contract.CleanupInput;
import com.chromacompactor.statemachine.contract.CollectGarbageInput;
import com.chromacompactor.statemachine.contract.CollectGarbageOutput;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.CompactionRequest;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.FinalMergeInput;
import com.chromacompactor.statemachine.contract.FinalMergeOutput;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.PlanInput;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.PublishInput;
import com.chromacompactor.statemachine.contract.PublishOutput;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.RootedBlobStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The workflow without AWS: the same steps as the state machine (plan, a merge per chunk, final
 * merge, publish, cleanup, garbage collection) run one after the other in this process, against a
 * bucket that is a local folder or S3. Failures surface as the exceptions the activity runtime
 * would report, except the garbage collection's, which fails no batch: it is in {@link
 * Result#gcFailure()}.
 */
public final class LocalRun {
  /**
   * The result of one run.
   *
   * @param deltas what the batch did with its deltas; null when there was nothing to compact
   * @param gc what the garbage collection did; null when it failed
   * @param gcFailure why it failed, or null
   */
  public record Result(
      PlanOutput plan,
      CompactionMode mode,
      FinalMergeOutput merge,
      PublishOutput publish,
      Tally deltas,
      CollectGarbageOutput gc,
      String gcFailure) {
    public boolean nothingToDo() {
      return plan.chunkCount() == 0;
    }
  }

  /**
   * What a published batch did with its deltas, each figure named by what it counts. Planned deltas
   * are compacted, quarantined while merging, or deferred; deltas Plan itself quarantined were
   * never planned.
   *
   * @param compacted deltas merged into the snapshot and marked consumed
   * @param quarantined deltas the batch quarantined, by Plan or while merging (distinct keys)
   * @param quarantinedByPlan those of them Plan quarantined, which it did not plan
   * @param deferred planned deltas left pending because they were not complete yet
   * @param recordsRead records the chunks read from the compacted deltas; an id written twice
   *     counts twice
   * @param distinctIds records in the published snapshot: one per live id, the base's included
   */
  public record Tally(
      int compacted,
      int quarantined,
      int quarantinedByPlan,
      int deferred,
      long recordsRead,
      long distinctIds) {}

  /**
   * How a local run plans and what it does with bad deltas, as the deployed workflow's settings.
   *
   * @param badDeltaPolicy {@code quarantine} (record and leave out) or {@code fail}
   * @param intake the settle window and incomplete-upload limit
   * @param lineage the snapshot line to compact
   * @param target the readers' release line the published snapshot is written for
   * @param retention what the garbage collection at the end keeps
   * @param claimLease how long the run's claim of its batch holds unless renewed: the run renews it
   *     every third of this while it runs, and a run that was killed loses its batch to the next
   *     run this long after its last renewal
   */
  public record Settings(
      ChunkSizes sizes,
      long parallelModeMaxEmbeddings,
      String badDeltaPolicy,
      IntakeRules intake,
      Lineage lineage,
      ChromaTarget target,
      RetentionRules retention,
      Duration claimLease) {
    public Settings {
      if (claimLease.isNegative() || claimLease.isZero()) {
        throw new IllegalArgumentException("the claim lease must be positive, got " + claimLease);
      }
    }

    /** With the default claim lease ({@link #DEFAULT_CLAIM_LEASE}). */
    public Settings(
        ChunkSizes sizes,
        long parallelModeMaxEmbeddings,
        String badDeltaPolicy,
        IntakeRules intake,
        Lineage lineage,
        ChromaTarget target,
        RetentionRules retention) {
      this(
          sizes,
          parallelModeMaxEmbeddings,
          badDeltaPolicy,
          intake,
          lineage,
          target,
          retention,
          DEFAULT_CLAIM_LEASE);
    }

    /**
     * The unnamed lineage with the default intake and retention rules, written for the default
     * release line.
     */
    public Settings(ChunkSizes sizes, long parallelModeMaxEmbeddings, String badDeltaPolicy) {
      this(
          sizes,
          parallelModeMaxEmbeddings,
          badDeltaPolicy,
          IntakeRules.defaults(),
          Lineage.NONE,
          ChromaTarget.DEFAULT,
          RetentionRules.defaults());
    }

    public static Settings defaults() {
      return new Settings(ChunkSizes.defaults(), 1500, "quarantine");
    }

    public Settings withIntake(IntakeRules rules) {
      return new Settings(
          sizes,
          parallelModeMaxEmbeddings,
          badDeltaPolicy,
          rules,
          lineage,
          target,
          retention,
          claimLease);
    }

    public Settings withLineage(Lineage line) {
      return new Settings(
          sizes,
          parallelModeMaxEmbeddings,
          badDeltaPolicy,
          intake,
          line,
          target,
          retention,
          claimLease);
    }

    public Settings withTarget(ChromaTarget release) {
      return new Settings(
          sizes,
          parallelModeMaxEmbeddings,
          badDeltaPolicy,
          intake,
          lineage,
          release,
          retention,
          claimLease);
    }

    public Settings withRetention(RetentionRules rules) {
      return new Settings(
          sizes,
          parallelModeMaxEmbeddings,
          badDeltaPolicy,
          intake,
          lineage,
          target,
          rules,
          claimLease);
    }

    public Settings withClaimLease(Duration lease) {
      return new Settings(
          sizes,
          parallelModeMaxEmbeddings,
          badDeltaPolicy,
          intake,
          lineage,
          target,
          retention,
          lease);
    }
  }

  /**
   * A local run's claim lease unless configured: minutes, so that the next run after a kill
   * publishes soon.
   */
  public static final Duration DEFAULT_CLAIM_LEASE = Claim.DEFAULT_LOCAL_LEASE;

  private final Map<WorkflowStep, ActivityHandler> steps;
  private final BlobStore bucket;
  private final Duration claimLease;
  private final Clock clock;
  private final Lineage lineage;
  private final long parallelModeMaxEmbeddings;
  private final Path scratch;
  private final PrintStream log;

  public LocalRun(BlobStore bucket, Settings settings, Path scratch, PrintStream log) {
    this(bucket, settings, scratch, log, Clock.systemUTC());
  }

  /** With the clock that ages deltas. */
  LocalRun(BlobStore bucket, Settings settings, Path scratch, PrintStream log, Clock clock) {
    this.steps =
        WorkflowSteps.over(
            bucket,
            WorkflowSteps.Settings.defaults(settings.sizes())
                .withBadDeltas(Quarantine.Policy.parse(settings.badDeltaPolicy()))
                .withIntake(settings.intake())
                .withTarget(settings.target())
                .withRetention(settings.retention(), RetentionRules.Mode.DELETE)
                .withClaims(Claim.Terms.local(settings.claimLease()))
                .withClock(clock));
    this.bucket = bucket;
    this.claimLease = settings.claimLease();
    this.clock = clock;
    this.lineage = settings.lineage();
    this.parallelModeMaxEmbeddings = settings.parallelModeMaxEmbeddings();
    this.scratch = scratch;
    this.log = log;
  }

  public Result run(String executionName) throws Exception {
    PlanOutput plan =
        call(
            WorkflowStep.PLAN,
            new PlanInput(
                new CompactionRequest(null, null, lineage.isNone() ? null : lineage),
                executionName),
            PlanOutput.class);
    if (plan.waitingDeltas() > 0) {
      log.printf(
          "%d deltas waiting (not complete yet), the oldest for %d s%n",
          plan.waitingDeltas(), plan.oldestWaitingSeconds());
    }
    if (plan.chunkCount() == 0) {
      log.println("nothing to compact");
      return collectGarbage(new Result(plan, null, null, null, null, null, null));
    }
    // The state machine's Choice, with the same threshold.
    CompactionMode mode =
        plan.totalEmbeddings() > parallelModeMaxEmbeddings
            ? CompactionMode.SEQUENTIAL
            : CompactionMode.PARALLEL;
    log.printf(
        "batch %s: %d chunks, %d records in the planned deltas, %s mode%n",
        plan.batchId(), plan.chunkCount(), plan.totalEmbeddings(), mode);
    long recordsRead = 0;
    BatchStore store = new BatchStore(bucket, lineage);
    PublishOutput publish;
    FinalMergeOutput merge;
    // The claim is this run's for as long as it renews it; a run killed from here on loses it one
    // lease later.
    try (ClaimLease lease =
        ClaimLease.start(store, plan.batchId(), executionName, claimLease, clock, log)) {
      for (int i = 0; i < plan.chunkCount(); i++) {
        requireHeld(lease);
        recordsRead +=
            call(
                    WorkflowStep.COMPACT_CHUNK,
                    new ChunkTask(plan.batchId(), plan.planKey(), i, mode, plan.lineage()),
                    ChunkResult.class)
                .recordsRead();
      }
      requireHeld(lease);
      merge =
          call(
              WorkflowStep.FINAL_MERGE,
              new FinalMergeInput(
                  plan.batchId(), plan.planKey(), plan.chunkCount(), mode, plan.lineage()),
              FinalMergeOutput.class);
      // Renewed right before Publish: the claim then holds a whole lease beyond it.
      requireHeld(lease);
      if (ClaimLease.renew(store, plan.batchId(), executionName, claimLease, clock)
          != ClaimLease.Renewal.RENEWED) {
        throw lost(plan.batchId(), executionName);
      }
      publish =
          call(
              WorkflowStep.PUBLISH,
              new PublishInput(plan.batchId(), merge.snapshotPrefix(), plan.lineage()),
              PublishOutput.class);
    }
    call(
        WorkflowStep.CLEANUP,
        new CleanupInput(plan.batchId(), plan.planKey(), plan.chunkCount(), plan.lineage()),
        Object.class);
    return collectGarbage(
        new Result(plan, mode, merge, publish, tally(plan, merge, recordsRead), null, null));
  }

  /**
   * The batch's figures, from the published snapshot's manifest and the batch's quarantine records.
   */
  private Tally tally(PlanOutput plan, FinalMergeOutput merge, long recordsRead)
      throws IOException {
    OutputManifest manifest =
        new BatchStore(bucket, lineage)
            .manifest(merge.snapshotPrefix())
            .orElseThrow(
                () ->
                    new IOException(merge.snapshotPrefix() + " has no manifest after FinalMerge"));
    List<Quarantine.Record> quarantined =
        Quarantine.list(bucket, lineage).stream()
            .filter(q -> q.batchId().equals(plan.batchId()))
            .toList();
    return new Tally(
        manifest.deltaKeys().size(),
        (int) quarantined.stream().map(Quarantine.Record::deltaKey).distinct().count(),
        (int) quarantined.stream().filter(q -> q.step() == QuarantineStep.PLAN).count(),
        manifest.deferredOrNone().size(),
        recordsRead,
        merge.embeddings());
  }

  private static void requireHeld(ClaimLease lease) throws TaskFailure {
    Optional<String> lost = lease.lostBecause();
    if (lost.isPresent()) {
      throw new TaskFailure(
          ErrorNames.CLAIM_LOST, lost.get() + ": not published; the run holding it publishes");
    }
  }

  private static TaskFailure lost(String batchId, String executionName) {
    return new TaskFailure(
        ErrorNames.CLAIM_LOST,
        "the claim of batch "
            + batchId
            + " is no longer "
            + executionName
            + "'s (its lease lapsed and another run took it over): not published; the run holding it publishes");
  }

  /**
   * The last step, as the state machine runs it: its failure is reported, and fails nothing before
   * it.
   */
  private Result collectGarbage(Result r) {
    try {
      CollectGarbageOutput gc =
          call(
              WorkflowStep.COLLECT_GARBAGE,
              new CollectGarbageInput(lineage),
              CollectGarbageOutput.class);
      return new Result(r.plan(), r.mode(), r.merge(), r.publish(), r.deltas(), gc, null);
    } catch (Exception e) {
      String why = ErrorClassifier.classify(e).error() + ": " + e.getMessage();
      log.println("garbage collection failed (the run's result stands): " + why);
      return new Result(r.plan(), r.mode(), r.merge(), r.publish(), r.deltas(), null, why);
    }
  }

  private <T> T call(WorkflowStep step, Object input, Class<T> outputType) throws Exception {
    Path workDir = Files.createTempDirectory(scratch, step.stateName() + "-");
    try {
      String output =
          steps.get(step).handle(ContractJson.output(input), new Context(workDir, step));
      return ContractJson.MAPPER.readValue(output, outputType);
    } finally {
      FileTrees.delete(workDir);
    }
  }

  /** A task context for an in-process step: progress goes to the log; nothing cancels it. */
  private final class Context implements TaskContext {
    private final Path workDir;
    private final WorkflowStep step;

    Context(Path workDir, WorkflowStep step) {
      this.workDir = workDir;
      this.step = step;
    }

    @Override
    public Path workDir() {
      return workDir;
    }

    @Override
    public void progress(String message) {
      log.println("  " + step.stateName() + ": " + message);
    }

    @Override
    public void checkCancelled() throws TaskCancelledException {}
  }

  /**
   * Commits delta folders into the unnamed lineage's {@code deltas/} as a producer does ({@link
   * DeltaPush}: files, then a marker), skipping those already there. Their sequences are the
   * current time in milliseconds, strictly increasing in the order given, so they merge in that
   * order.
   */
  public static int importDeltas(BlobStore bucket, Iterable<Path> deltas) throws IOException {
    return importDeltas(bucket, Lineage.NONE, deltas);
  }

  /** As {@link #importDeltas(BlobStore, Iterable)}, into {@code lineage}. */
  public static int importDeltas(BlobStore bucket, Lineage lineage, Iterable<Path> deltas)
      throws IOException {
    BlobStore blobs = RootedBlobStore.under(bucket, lineage.root());
    int imported = 0;
    long sequence = 0;
    for (Path d : deltas) {
      String name = d.getFileName().toString();
      if (!blobs.listKeys(StorageLayout.DELTAS_PREFIX + name + "/").isEmpty()) {
        continue;
      }
      sequence = Math.max(System.currentTimeMillis(), sequence + 1);
      DeltaPush.push(bucket, lineage, d, name, sequence, "compactor run --import-deltas");
      imported++;
    }
    return imported;
  }
}
