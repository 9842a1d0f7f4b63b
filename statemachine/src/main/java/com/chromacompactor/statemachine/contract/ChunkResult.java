package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Output of the CompactChunk activity. The Map discards it ({@code ResultPath: null}) so that the
 * run's payload does not grow with the chunk count: FinalMerge finds each intermediate at {@link
 * StorageLayout#intermediatePrefix}. It is still visible in the execution history.
 *
 * @param intermediatePrefix where the chunk's merged intermediate was written, {@code
 *     intermediate/<batch>/chunk-<i>/}
 * @param embeddings distinct ids in the intermediate (records after last-writer-wins and deletes)
 * @param deltasProcessed deltas merged into it (not those quarantined or deferred)
 * @param recordsRead records read from those deltas, an id written twice counted twice
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChunkResult(
    String intermediatePrefix, long embeddings, int deltasProcessed, long recordsRead) {}
