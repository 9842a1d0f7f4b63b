package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Input of the Publish activity. The worker swaps {@link StorageLayout#LATEST_KEY} to {@code snapshotPrefix} with an S3
 * conditional write (If-Match on the ETag it read, or If-None-Match: * when there is none yet), so that two runs
 * can never both publish; the loser fails with {@link ErrorNames#PUBLISH_CONFLICT}.
 *
 * @param batchId        the batch
 * @param snapshotPrefix from {@link FinalMergeOutput#snapshotPrefix()}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PublishInput(String batchId, String snapshotPrefix) {
}
