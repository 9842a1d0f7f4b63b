package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Output of the Publish activity, stored at {@code $.publish}.
 *
 * @param snapshotPrefix what {@code latest} points to now
 * @param previousSnapshotPrefix what it pointed to before; null on the first publish
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record PublishOutput(String snapshotPrefix, String previousSnapshotPrefix) {}
