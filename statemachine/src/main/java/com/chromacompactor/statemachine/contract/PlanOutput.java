package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Output of the Plan activity, stored at {@code $.plan}. The state machine keeps only these four fields
 * (a ResultSelector drops anything else), so the payload stays tiny whatever the batch size.
 *
 * @param batchId         identifies the batch in every key the run writes; deterministic for a given set of deltas
 * @param planKey         S3 key of the plan: a JSON array of {@link PlannedChunk}, ordered by chunk index
 *                        (see {@link StorageLayout#planKey(String)}); the Distributed Map reads it with an ItemReader
 * @param chunkCount      number of chunks in the plan; 0 ends the run as NothingToCompact
 * @param totalEmbeddings records across all planned deltas; compared with the mode threshold
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PlanOutput(String batchId, String planKey, int chunkCount, long totalEmbeddings) {
}
