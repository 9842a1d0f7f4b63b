package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Output of the Plan activity, stored at {@code $.plan}. The state machine keeps only these fields
 * (a ResultSelector drops anything else), so the payload stays tiny whatever the batch size.
 *
 * @param batchId identifies the batch in every key the run writes; deterministic for a given set of
 *     deltas on a given published snapshot
 * @param planKey S3 key of the plan, with the lineage's root: a JSON array of {@link PlannedChunk},
 *     ordered by chunk index (see {@link Lineage#planKey(String)}); the Distributed Map reads it
 *     with an ItemReader
 * @param chunkCount number of chunks in the plan; 0 ends the run as NothingToCompact
 * @param totalEmbeddings records across all planned deltas; compared with the mode threshold
 * @param lineage the snapshot line this run works on; every later state passes it to its worker
 * @param waitingDeltas deltas left for a later run because they are not complete yet (an unmarked
 *     delta inside the settle window, a marked one whose listed files are not all there)
 * @param oldestWaitingSeconds how long the oldest of them has been waiting (since its first object
 *     arrived); 0 if none
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PlanOutput(
    String batchId,
    String planKey,
    int chunkCount,
    long totalEmbeddings,
    Lineage lineage,
    int waitingDeltas,
    long oldestWaitingSeconds) {
  public PlanOutput {
    lineage = lineage == null ? Lineage.NONE : lineage;
  }

  /** A plan of the unnamed lineage with nothing waiting. */
  public PlanOutput(String batchId, String planKey, int chunkCount, long totalEmbeddings) {
    this(batchId, planKey, chunkCount, totalEmbeddings, Lineage.NONE, 0, 0);
  }
}
