package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One element of the plan file at {@link PlanOutput#planKey()}. Only {@code chunkIndex} is read by
 * the state machine (the Distributed Map's ItemSelector); the worker reads the rest from S3.
 *
 * @param chunkIndex 0-based, dense: 0 .. chunkCount - 1
 * @param collection the collection these deltas belong to (chunks never mix collections)
 * @param chunkSize the most deltas a chunk of this collection holds ({@link ChunkSizes#of}), which
 *     cut this one
 * @param deltaKeys the delta directory prefixes, in merge order (oldest first)
 * @param embeddings records in these deltas
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record PlannedChunk(
    int chunkIndex, String collection, int chunkSize, List<String> deltaKeys, long embeddings) {
  public PlannedChunk {
    deltaKeys = deltaKeys == null ? List.of() : List.copyOf(deltaKeys);
  }
}
