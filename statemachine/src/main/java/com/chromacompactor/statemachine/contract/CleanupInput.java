package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Input of the Cleanup activity: delete the batch's intermediates and record the consumed deltas,
 * listed in the plan, in a processed manifest under {@link StorageLayout#PLANS_PREFIX} (the workers
 * may not delete or move deltas).
 *
 * @param batchId the batch
 * @param planKey the plan, which lists the consumed deltas
 * @param chunkCount how many intermediates were written
 * @param lineage from {@link PlanOutput#lineage()}: the worker roots every key it reads or writes
 *     there
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CleanupInput(String batchId, String planKey, int chunkCount, Lineage lineage) {
  public CleanupInput {
    lineage = lineage == null ? Lineage.NONE : lineage;
  }

  /** A task of the unnamed lineage. */
  public CleanupInput(String batchId, String planKey, int chunkCount) {
    this(batchId, planKey, chunkCount, Lineage.NONE);
  }
}
