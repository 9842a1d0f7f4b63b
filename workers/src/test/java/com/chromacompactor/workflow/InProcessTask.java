package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.statemachine.contract.ChunkTask;
import com.chromacompactor.statemachine.contract.CleanupInput;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.CompactionRequest;
import com.chromacompactor.statemachine.contract.FinalMergeInput;
import com.chromacompactor.statemachine.contract.FinalMergeOutput;
import com.chromacompactor.statemachine.contract.PlanInput;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.PublishInput;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.testing.QuietTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs one step's handler in this JVM, as a worker would, with a fresh work folder under {@code
 * tmp}; or a batch's steps in the order LocalRun runs them, for tests that act between two steps.
 */
final class InProcessTask {
  private InProcessTask() {}

  static String run(
      Map<WorkflowStep, ActivityHandler> steps, WorkflowStep step, String input, Path tmp)
      throws Exception {
    Path work = Files.createTempDirectory(tmp, "task-");
    return steps.get(step).handle(input, QuietTask.in(work));
  }

  /** A batch that went through Plan, its chunks (in parallel mode) and FinalMerge. */
  record Merged(PlanOutput plan, FinalMergeOutput merge) {}

  /** Something a test does between two steps. */
  @FunctionalInterface
  interface Between {
    void run() throws Exception;
  }

  /** Something a test does after a chunk ran. */
  @FunctionalInterface
  interface AfterChunk {
    AfterChunk NOTHING = (plan, chunk) -> {};

    void run(PlanOutput plan, int chunk) throws Exception;
  }

  /** Plan (as {@code execution}), then {@code afterPlan}, then every chunk and FinalMerge. */
  static Merged planAndMerge(
      Map<WorkflowStep, ActivityHandler> steps, String execution, Path tmp, Between afterPlan)
      throws Exception {
    PlanOutput plan = plan(steps, execution, tmp);
    afterPlan.run();
    chunks(steps, plan, CompactionMode.PARALLEL, tmp, AfterChunk.NOTHING);
    return new Merged(plan, finalMerge(steps, plan, CompactionMode.PARALLEL, tmp));
  }

  static PlanOutput plan(Map<WorkflowStep, ActivityHandler> steps, String execution, Path tmp)
      throws Exception {
    return ContractJson.MAPPER.readValue(
        run(
            steps,
            WorkflowStep.PLAN,
            ContractJson.output(new PlanInput(new CompactionRequest(null, null), execution)),
            tmp),
        PlanOutput.class);
  }

  /** Every chunk of {@code plan} in order, {@code after} each. */
  static void chunks(
      Map<WorkflowStep, ActivityHandler> steps,
      PlanOutput plan,
      CompactionMode mode,
      Path tmp,
      AfterChunk after)
      throws Exception {
    for (int i = 0; i < plan.chunkCount(); i++) {
      run(
          steps,
          WorkflowStep.COMPACT_CHUNK,
          ContractJson.output(
              new ChunkTask(plan.batchId(), plan.planKey(), i, mode, plan.lineage())),
          tmp);
      after.run(plan, i);
    }
  }

  static FinalMergeOutput finalMerge(
      Map<WorkflowStep, ActivityHandler> steps, PlanOutput plan, CompactionMode mode, Path tmp)
      throws Exception {
    return ContractJson.MAPPER.readValue(
        run(
            steps,
            WorkflowStep.FINAL_MERGE,
            ContractJson.output(
                new FinalMergeInput(
                    plan.batchId(), plan.planKey(), plan.chunkCount(), mode, plan.lineage())),
            tmp),
        FinalMergeOutput.class);
  }

  /** Publish and Cleanup of a merged batch. */
  static void publishAndClean(Map<WorkflowStep, ActivityHandler> steps, Merged m, Path tmp)
      throws Exception {
    run(
        steps,
        WorkflowStep.PUBLISH,
        ContractJson.output(
            new PublishInput(m.plan().batchId(), m.merge().snapshotPrefix(), m.plan().lineage())),
        tmp);
    run(
        steps,
        WorkflowStep.CLEANUP,
        ContractJson.output(
            new CleanupInput(
                m.plan().batchId(), m.plan().planKey(), m.plan().chunkCount(), m.plan().lineage())),
        tmp);
  }
}
