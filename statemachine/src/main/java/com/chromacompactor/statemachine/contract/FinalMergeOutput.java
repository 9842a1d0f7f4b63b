package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Output of the FinalMerge activity, stored at {@code $.merge}.
 *
 * @param snapshotPrefix the new snapshot's versioned prefix, {@code snapshots/<version>/}; not yet
 *     published
 * @param embeddings records in the new snapshot
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FinalMergeOutput(String snapshotPrefix, long embeddings) {}
