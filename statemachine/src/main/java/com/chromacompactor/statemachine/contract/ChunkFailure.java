package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What the RecordFailedChunk state writes when CompactChunk fails for good (after its retries),
 * just before the ChunkFailed Fail state: it is that Fail state's input in the execution history.
 * The Fail state raises {@link ErrorNames#CHUNK_FAILED} with the cause {@code "chunk <chunkIndex>
 * of batch <batchId> failed with <Error>"}.
 *
 * @param batchId the batch
 * @param chunkIndex the failed chunk
 * @param failure the last error, as caught
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChunkFailure(String batchId, int chunkIndex, TaskError failure) {}
