package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Output of the CollectGarbage activity, stored at {@code $.gc}: what it deleted and what the
 * lineage holds after it. When the step failed after its retries, {@code $.gc} holds the {@link
 * TaskError} instead, and the run still succeeds.
 *
 * @param dryRun true when nothing was deleted and the counts are what would have been
 * @param snapshotsDeleted complete snapshots beyond the retention
 * @param deltasDeleted consumed deltas past their retention, with their processed markers
 * @param plansDeleted plan folders of finished batches past the retention, and of stale claims
 * @param leftoversDeleted folders that crashed runs left: snapshots without a manifest,
 *     intermediates, plans without a claim, processed markers of deltas that are gone
 * @param objectsDeleted objects deleted in all
 * @param bytesFreed their total size
 * @param snapshotBytes bytes under {@code snapshots/} after the step
 * @param deltaBytes bytes under {@code deltas/} after the step
 * @param pendingDeltas deltas neither consumed nor quarantined
 * @param oldestPendingDeltaSeconds how long ago the oldest of them arrived (its first object); 0 if
 *     none
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CollectGarbageOutput(
    boolean dryRun,
    int snapshotsDeleted,
    int deltasDeleted,
    int plansDeleted,
    int leftoversDeleted,
    long objectsDeleted,
    long bytesFreed,
    long snapshotBytes,
    long deltaBytes,
    int pendingDeltas,
    long oldestPendingDeltaSeconds) {}
