package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Input of the FinalMerge activity. The intermediates are at {@link StorageLayout#intermediatePrefix} for
 * {@code 0 .. chunkCount - 1}; the current snapshot is the one {@code latest} points to (if any).
 *
 * @param batchId    the batch
 * @param planKey    the plan
 * @param chunkCount how many intermediates to merge
 * @param mode       the mode chosen for this run
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FinalMergeInput(String batchId, String planKey, int chunkCount, CompactionMode mode) {
}
