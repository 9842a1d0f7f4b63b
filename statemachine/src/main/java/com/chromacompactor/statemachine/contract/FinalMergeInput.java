package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Input of the FinalMerge activity. The intermediates are at {@link
 * StorageLayout#intermediatePrefix} for {@code 0 .. chunkCount - 1}; the current snapshot is the
 * one {@code latest} points to (if any).
 *
 * @param batchId the batch
 * @param planKey the plan
 * @param chunkCount how many intermediates to merge
 * @param mode the mode chosen for this run
 * @param lineage from {@link PlanOutput#lineage()}: the worker roots every key it reads or writes
 *     there
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FinalMergeInput(
    String batchId, String planKey, int chunkCount, CompactionMode mode, Lineage lineage) {
  public FinalMergeInput {
    lineage = lineage == null ? Lineage.NONE : lineage;
  }

  /** A task of the unnamed lineage. */
  public FinalMergeInput(String batchId, String planKey, int chunkCount, CompactionMode mode) {
    this(batchId, planKey, chunkCount, mode, Lineage.NONE);
  }
}
