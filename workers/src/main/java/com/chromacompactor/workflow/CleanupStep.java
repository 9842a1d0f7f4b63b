package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.statemachine.contract.CleanupInput;
import com.chromacompactor.statemachine.contract.CleanupOutput;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import com.chromacompactor.statemachine.contract.StorageLayout;
import java.util.List;
import java.util.Map;

/**
 * Cleanup: deletes the batch's intermediates, marks every consumed delta
 * ({@code plans/processed/<delta>/DONE}) so the next Plan skips it, and writes the batch's processed
 * manifest. Deltas themselves are never deleted or moved: the workers may only read them.
 */
final class CleanupStep implements ActivityHandler {
  private final BatchStore store;

  CleanupStep(BatchStore store) {
    this.store = store;
  }

  @Override
  public String handle(String inputJson, TaskContext context) throws Exception {
    CleanupInput input = ContractJson.input(inputJson, CleanupInput.class);
    List<PlannedChunk> plan = store.readPlan(input.batchId(), input.planKey());
    List<String> deltas = Planner.deltaKeys(plan);
    for (String delta : deltas) {
      store.blobs.put(BatchStore.processedMarker(delta), input.batchId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    String manifestKey = StorageLayout.processedManifestKey(input.batchId());
    store.blobs.put(manifestKey, ContractJson.bytes(Map.of("batchId", input.batchId(), "deltaKeys", deltas)));
    String intermediates = StorageLayout.INTERMEDIATE_PREFIX + input.batchId() + "/";
    List<String> keys = store.blobs.listKeys(intermediates);
    long chunks = keys.stream().map(k -> k.substring(0, k.indexOf('/', intermediates.length()) + 1)).distinct().count();
    store.blobs.delete(keys);
    context.progress("marked " + deltas.size() + " deltas processed, deleted " + chunks + " intermediates");
    return ContractJson.output(new CleanupOutput((int) chunks, manifestKey));
  }
}
