package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Output of the Cleanup activity, stored at {@code $.cleanup}.
 *
 * @param intermediatesDeleted objects deleted under {@code intermediate/<batch>/}
 * @param processedManifestKey where the list of consumed deltas was written
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CleanupOutput(int intermediatesDeleted, String processedManifestKey) {}
