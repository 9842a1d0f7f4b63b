package com.chromacompactor.statemachine.contract;

/**
 * The activities of the workflow: one Step Functions activity each, polled by the workers.
 *
 * <p>{@link #stateName()} is the name of the Task state in the definition (the distributed variant
 * of CompactChunk adds a suffix), and {@link #arnVariable()} is the environment variable that
 * carries the activity's ARN to the worker container.
 */
public enum WorkflowStep {
  /**
   * Lists pending deltas, cuts chunks, writes the plan to S3. {@link PlanInput} -&gt; {@link
   * PlanOutput}.
   */
  PLAN("Plan", "COMPACTOR_PLAN_ACTIVITY_ARN"),
  /**
   * Merges one chunk of deltas into an intermediate. {@link ChunkTask} -&gt; {@link ChunkResult}.
   */
  COMPACT_CHUNK("CompactChunk", "COMPACTOR_COMPACT_CHUNK_ACTIVITY_ARN"),
  /**
   * Merges the intermediates and the current snapshot. {@link FinalMergeInput} -&gt; {@link
   * FinalMergeOutput}.
   */
  FINAL_MERGE("FinalMerge", "COMPACTOR_FINAL_MERGE_ACTIVITY_ARN"),
  /**
   * Swaps the {@code latest} pointer with a conditional write. {@link PublishInput} -&gt; {@link
   * PublishOutput}.
   */
  PUBLISH("Publish", "COMPACTOR_PUBLISH_ACTIVITY_ARN"),
  /**
   * Deletes intermediates and records the consumed deltas. {@link CleanupInput} -&gt; {@link
   * CleanupOutput}.
   */
  CLEANUP("Cleanup", "COMPACTOR_CLEANUP_ACTIVITY_ARN"),
  /**
   * Deletes what the retention rules no longer keep: old snapshots, consumed deltas, finished
   * plans, leftovers. {@link CollectGarbageInput} -&gt; {@link CollectGarbageOutput}. The
   * workflow's last step; its failure fails no batch.
   */
  COLLECT_GARBAGE("CollectGarbage", "COMPACTOR_COLLECT_GARBAGE_ACTIVITY_ARN");

  private final String stateName;
  private final String arnVariable;

  WorkflowStep(String stateName, String arnVariable) {
    this.stateName = stateName;
    this.arnVariable = arnVariable;
  }

  /** The Task state's name in the definition, e.g. {@code "CompactChunk"}. */
  public String stateName() {
    return stateName;
  }

  /** The worker container's environment variable holding this activity's ARN. */
  public String arnVariable() {
    return arnVariable;
  }

  /**
   * The placeholder that {@code AslExport} writes for this activity's ARN, e.g. {@code
   * ${PlanActivityArn}}.
   */
  public String arnPlaceholder() {
    return "${" + stateName + "ActivityArn}";
  }
}
