package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.BlobStore;
import java.util.EnumMap;
import java.util.Map;

/** The handler of every activity of the workflow, over one bucket. */
public final class WorkflowSteps {
  private WorkflowSteps() {}

  public static Map<WorkflowStep, ActivityHandler> over(BlobStore bucket, Planner.ChunkSizes sizes, StepMetrics metrics) {
    BatchStore store = new BatchStore(bucket);
    MergeProgress progress = new MergeProgress(metrics);
    Map<WorkflowStep, ActivityHandler> steps = new EnumMap<>(WorkflowStep.class);
    steps.put(WorkflowStep.PLAN, new PlanStep(store, sizes));
    steps.put(WorkflowStep.COMPACT_CHUNK, new CompactChunkStep(store, progress));
    steps.put(WorkflowStep.FINAL_MERGE, new FinalMergeStep(store, progress));
    steps.put(WorkflowStep.PUBLISH, new PublishStep(store));
    steps.put(WorkflowStep.CLEANUP, new CleanupStep(store));
    return steps;
  }
}
