package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Input of the CompactChunk activity, one per chunk, built by the Map's ItemSelector. The same
 * shape comes from the inline Map (which iterates over {@code 0 .. chunkCount - 1}) and from the
 * Distributed Map (which reads the plan).
 *
 * @param batchId from {@link PlanOutput#batchId()}
 * @param planKey from {@link PlanOutput#planKey()}; the worker finds its {@link PlannedChunk} there
 * @param chunkIndex which chunk of the plan
 * @param mode how to merge, chosen by SelectMode
 * @param lineage from {@link PlanOutput#lineage()}: the worker roots every key it reads or writes
 *     there
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChunkTask(
    String batchId, String planKey, int chunkIndex, CompactionMode mode, Lineage lineage) {
  public ChunkTask {
    lineage = lineage == null ? Lineage.NONE : lineage;
  }

  /** A task of the unnamed lineage. */
  public ChunkTask(String batchId, String planKey, int chunkIndex, CompactionMode mode) {
    this(batchId, planKey, chunkIndex, mode, Lineage.NONE);
  }
}
