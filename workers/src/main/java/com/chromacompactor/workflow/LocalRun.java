package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskCancelledException;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.snapshot.SnapshotDirectory;
import com.chromacompactor.statemachine.contract.ChunkTask;
import com.chromacompactor.statemachine.contract.CleanupInput;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.CompactionRequest;
import com.chromacompactor.statemachine.contract.FinalMergeInput;
import com.chromacompactor.statemachine.contract.FinalMergeOutput;
import com.chromacompactor.statemachine.contract.PlanInput;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.PublishInput;
import com.chromacompactor.statemachine.contract.PublishOutput;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.BlobStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The workflow without AWS: the same steps as the state machine (plan, a merge per chunk, final
 * merge, publish, cleanup) run one after the other in this process, against a bucket that is a
 * local folder. Failures surface as the exceptions the activity runtime would report.
 */
public final class LocalRun {
  /** The result of one run. */
  public record Result(PlanOutput plan, CompactionMode mode, FinalMergeOutput merge, PublishOutput publish) {
    public boolean nothingToDo() {
      return plan.chunkCount() == 0;
    }
  }

  /**
   * How a local run plans and what it does with bad deltas, as the deployed workflow's settings.
   *
   * @param badDeltaPolicy {@code quarantine} (record and leave out) or {@code fail}
   * @param target         the readers' release line the published snapshot is written for
   */
  public record Settings(Planner.ChunkSizes sizes, long parallelModeMaxEmbeddings, String badDeltaPolicy,
      ChromaTarget target) {
    public Settings(Planner.ChunkSizes sizes, long parallelModeMaxEmbeddings, String badDeltaPolicy) {
      this(sizes, parallelModeMaxEmbeddings, badDeltaPolicy, ChromaTarget.DEFAULT);
    }

    public static Settings defaults() {
      return new Settings(Planner.ChunkSizes.defaults(), 1500, "quarantine");
    }
  }

  private final Map<WorkflowStep, ActivityHandler> steps;
  private final long parallelModeMaxEmbeddings;
  private final Path scratch;
  private final PrintStream log;

  public LocalRun(BlobStore bucket, Settings settings, Path scratch, PrintStream log) {
    this.steps = WorkflowSteps.over(bucket, settings.sizes(), settings.badDeltaPolicy(), settings.target());
    this.parallelModeMaxEmbeddings = settings.parallelModeMaxEmbeddings();
    this.scratch = scratch;
    this.log = log;
  }

  public Result run(String executionName) throws Exception {
    PlanOutput plan = call(WorkflowStep.PLAN, new PlanInput(new CompactionRequest(null, null), executionName),
        PlanOutput.class);
    if (plan.chunkCount() == 0) {
      log.println("nothing to compact");
      return new Result(plan, null, null, null);
    }
    // The state machine's Choice, with the same threshold.
    CompactionMode mode = plan.totalEmbeddings() > parallelModeMaxEmbeddings
        ? CompactionMode.SEQUENTIAL : CompactionMode.PARALLEL;
    log.printf("batch %s: %d chunks, %d embeddings, %s mode%n", plan.batchId(), plan.chunkCount(),
        plan.totalEmbeddings(), mode);
    for (int i = 0; i < plan.chunkCount(); i++) {
      call(WorkflowStep.COMPACT_CHUNK, new ChunkTask(plan.batchId(), plan.planKey(), i, mode), Object.class);
    }
    FinalMergeOutput merge = call(WorkflowStep.FINAL_MERGE,
        new FinalMergeInput(plan.batchId(), plan.planKey(), plan.chunkCount(), mode), FinalMergeOutput.class);
    PublishOutput publish = call(WorkflowStep.PUBLISH, new PublishInput(plan.batchId(), merge.snapshotPrefix()),
        PublishOutput.class);
    call(WorkflowStep.CLEANUP, new CleanupInput(plan.batchId(), plan.planKey(), plan.chunkCount()), Object.class);
    return new Result(plan, mode, merge, publish);
  }

  private <T> T call(WorkflowStep step, Object input, Class<T> outputType) throws Exception {
    Path workDir = Files.createTempDirectory(scratch, step.stateName() + "-");
    try {
      String output = steps.get(step).handle(ContractJson.output(input), new Context(workDir, step));
      return ContractJson.MAPPER.readValue(output, outputType);
    } finally {
      SnapshotDirectory.deleteTree(workDir);
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

  /** Copies delta folders into the bucket's {@code deltas/}, skipping those already there. */
  public static int importDeltas(BlobStore bucket, Iterable<Path> deltas) throws IOException {
    int imported = 0;
    for (Path d : deltas) {
      String prefix = "deltas/" + d.getFileName() + "/";
      if (!bucket.listKeys(prefix).isEmpty()) {
        continue;
      }
      com.chromacompactor.storage.FolderTransfer.upload(bucket, d, prefix, null);
      imported++;
    }
    return imported;
  }
}
