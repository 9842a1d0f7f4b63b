package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Input of the CompactChunk activity, one per chunk, built by the Map's ItemSelector. The same shape comes from the
 * inline Map (which iterates over {@code 0 .. chunkCount - 1}) and from the Distributed Map (which reads the plan).
 *
 * @param batchId    from {@link PlanOutput#batchId()}
 * @param planKey    from {@link PlanOutput#planKey()}; the worker finds its {@link PlannedChunk} there
 * @param chunkIndex which chunk of the plan
 * @param mode       how to merge, chosen by SelectMode
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChunkTask(String batchId, String planKey, int chunkIndex, CompactionMode mode) {
}
