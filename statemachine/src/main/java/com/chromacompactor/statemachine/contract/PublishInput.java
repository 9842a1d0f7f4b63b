package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Input of the Publish activity. The worker swaps {@link StorageLayout#LATEST_KEY} to {@code
 * snapshotPrefix} with an S3 conditional write (If-Match on the ETag it read, or If-None-Match: *
 * when there is none yet), so that two runs can never both publish; the loser fails with {@link
 * ErrorNames#PUBLISH_CONFLICT}.
 *
 * @param batchId the batch
 * @param snapshotPrefix from {@link FinalMergeOutput#snapshotPrefix()}
 * @param lineage from {@link PlanOutput#lineage()}: the worker roots every key it reads or writes
 *     there
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PublishInput(String batchId, String snapshotPrefix, Lineage lineage) {
  public PublishInput {
    lineage = lineage == null ? Lineage.NONE : lineage;
  }

  /** A task of the unnamed lineage. */
  public PublishInput(String batchId, String snapshotPrefix) {
    this(batchId, snapshotPrefix, Lineage.NONE);
  }
}
