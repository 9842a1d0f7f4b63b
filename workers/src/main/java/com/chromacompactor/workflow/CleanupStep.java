package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.statemachine.contract.CleanupInput;
import com.chromacompactor.statemachine.contract.CleanupOutput;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Cleanup: deletes the batch's intermediates, marks every delta the published snapshot consumed
 * ({@code plans/processed/<delta>/DONE}) so the next Plan skips it, and writes the batch's
 * processed manifest. A delta that a chunk deferred (not complete yet) gets no marker: it stays
 * pending. Deltas themselves are never deleted or moved: the workers may only read them.
 */
final class CleanupStep implements ActivityHandler {
  private final BlobStore bucket;

  CleanupStep(BlobStore bucket) {
    this.bucket = bucket;
  }

  @Override
  public String handle(String inputJson, TaskContext context) throws Exception {
    CleanupInput input = ContractJson.input(inputJson, CleanupInput.class);
    BatchStore store = new BatchStore(bucket, input.lineage());
    int planned = Planner.deltaKeys(store.readPlan(input.batchId(), input.planKey())).size();
    String snapshot = BatchStore.snapshotPrefix(input.batchId());
    OutputManifest manifest =
        store
            .manifest(snapshot)
            .orElseThrow(
                () ->
                    new TaskFailure(
                        ErrorNames.INVALID_INPUT,
                        snapshot + " has no manifest: FinalMerge did not complete"));
    List<String> deltas = manifest.deltaKeys();
    for (String delta : deltas) {
      store.blobs.put(
          BatchStore.processedMarker(delta), input.batchId().getBytes(StandardCharsets.UTF_8));
    }
    String manifestKey = StorageLayout.processedManifestKey(input.batchId());
    store.blobs.put(
        manifestKey,
        ContractJson.bytes(
            Map.of(
                "batchId",
                input.batchId(),
                "deltaKeys",
                deltas,
                "deferred",
                manifest.deferredOrNone(),
                "quarantined",
                manifest.quarantinedOrNone())));
    String intermediates = StorageLayout.INTERMEDIATE_PREFIX + input.batchId() + "/";
    List<String> keys = store.blobs.listKeys(intermediates);
    long chunks =
        keys.stream()
            .map(k -> k.substring(0, k.indexOf('/', intermediates.length()) + 1))
            .distinct()
            .count();
    store.blobs.delete(keys);
    context.progress(
        "marked "
            + deltas.size()
            + " of the plan's "
            + planned
            + " deltas consumed ("
            + manifest.quarantinedOrNone().size()
            + " quarantined while merging, "
            + manifest.deferredOrNone().size()
            + " deferred: pending), deleted "
            + chunks
            + " intermediates");
    return ContractJson.output(
        new CleanupOutput((int) chunks, StorageLayout.processedManifestKey(input.batchId())));
  }
}
