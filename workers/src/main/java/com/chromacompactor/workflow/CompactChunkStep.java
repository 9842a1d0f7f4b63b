package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.merge.CompactionOptions;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.snapshot.QueueSnapshotWriter;
import com.chromacompactor.metrics.TaskMetrics;
import com.chromacompactor.statemachine.contract.ChunkResult;
import com.chromacompactor.statemachine.contract.ChunkTask;
import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.FolderTransfer;
import java.nio.file.Path;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;
import java.util.List;
import java.util.Map;

/**
 * CompactChunk: merges one chunk's deltas, in order, into an intermediate under
 * {@code intermediate/<batch>/chunk-<i>/}: a Chroma directory of that collection, the tombstones the
 * chunk applied (so the final merge applies them to older state too), and a manifest written last.
 * The same chunk always gives the same files, so a retry overwrites them with identical bytes.
 */
final class CompactChunkStep implements ActivityHandler {
  private final BatchStore store;
  private final Quarantine.Policy policy;

  CompactChunkStep(BatchStore store, Quarantine.Policy policy) {
    this.store = store;
    this.policy = policy;
  }


  @Override
  public String handle(String inputJson, TaskContext context) throws Exception {
    ChunkTask task = ContractJson.input(inputJson, ChunkTask.class);
    ContractJson.require(task.mode() != null, "mode is required");
    List<PlannedChunk> plan = store.readPlan(task.batchId(), task.planKey());
    ContractJson.require(task.chunkIndex() >= 0 && task.chunkIndex() < plan.size(),
        "chunkIndex " + task.chunkIndex() + " outside 0.." + (plan.size() - 1));
    PlannedChunk chunk = plan.get(task.chunkIndex());
    String prefix = StorageLayout.intermediatePrefix(task.batchId(), task.chunkIndex());
    Path out = context.workDir().resolve("intermediate");
    TaskMetrics metrics = MergeProgress.metrics(context, task.batchId(), chunk.collection());
    CompactionSummary summary = new BucketMerge(chunk.deltaKeys(), false, DeltaOrigin.PRODUCER, task.mode(),
        CompactionOptions.intermediate(chunk.collection(), policy == Quarantine.Policy.QUARANTINE
            ? CompactionOptions.BadDeltaPolicy.SKIP : CompactionOptions.BadDeltaPolicy.FAIL), QueueSnapshotWriter::create)
        .run(store.blobs, out, context, metrics);
    for (CompactionSummary.RefusedDelta refused : summary.refused()) {
      Quarantine.record(store, task.batchId(), refused.delta(), refused.problem(), refused.detail(),
          "CompactChunk");
      context.progress("quarantined " + refused.delta() + ": " + refused.problem() + ": " + refused.detail());
    }
    metrics.put(MetricNames.DELTAS_QUARANTINED, summary.refused().size(), StandardUnit.COUNT);
    OutputManifest.write(out, "intermediate", task.batchId(), null, chunk.deltaKeys(),
        Map.of(chunk.collection(), summary.recordsWritten()));
    context.checkCancelled();
    FolderTransfer.upload(store.blobs, out, prefix, OutputManifest.FILE);
    MergeProgress.mergeDone(context, metrics, task.mode(), "chunk of " + chunk.collection(), summary);
    return ContractJson.output(new ChunkResult(prefix, summary.recordsWritten(), chunk.deltaKeys().size()));
  }
}
