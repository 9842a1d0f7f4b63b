package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.audit.SnapshotCheck;
import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.invariant.InvariantViolation;
import com.chromacompactor.merge.CompactionOptions;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.metrics.TaskMetrics;
import com.chromacompactor.snapshot.IndexedSnapshotWriter;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.FinalMergeInput;
import com.chromacompactor.statemachine.contract.FinalMergeOutput;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.FolderTransfer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * FinalMerge: the snapshot the batch was planned on (if any), then every chunk's intermediate in chunk order, merged
 * into a new ready-to-query snapshot (the indexed route, extending the base's index) under {@code snapshots/<batch>/}.
 * Every write and delete is gated by the ids' recorded versions, which the new snapshot keeps
 * ({@link com.chromacompactor.merge.RecordVersions}). Its manifest records the snapshot it started from and the entity
 * tag of {@code latest} that Plan read, which Publish needs for its conditional write; the deltas it consumed (not
 * those deferred or quarantined by a chunk); and its high-water mark, above which deltas are in order. A snapshot
 * whose manifest is already there was finished by an earlier attempt: it is reused.
 */
final class FinalMergeStep implements ActivityHandler {
  private final BlobStore bucket;
  /** The readers' release line the snapshot is written for (intermediates stay in the 1.5 format). */
  private final ChromaTarget target;

  FinalMergeStep(BlobStore bucket, ChromaTarget target) {
    this.bucket = bucket;
    this.target = target;
  }

  @Override
  public String handle(String inputJson, TaskContext context) throws Exception {
    FinalMergeInput input = ContractJson.input(inputJson, FinalMergeInput.class);
    ContractJson.require(input.mode() != null, "mode is required");
    BatchStore store = new BatchStore(bucket, input.lineage());
    List<PlannedChunk> plan = store.readPlan(input.batchId(), input.planKey());
    ContractJson.require(input.chunkCount() == plan.size(),
        "chunkCount " + input.chunkCount() + " but the plan has " + plan.size() + " chunks");
    String prefix = BatchStore.snapshotPrefix(input.batchId());
    Optional<OutputManifest> done = store.manifest(prefix);
    if (done.isPresent()) {
      context.progress("snapshot " + prefix + " was already complete");
      return ContractJson.output(new FinalMergeOutput(prefix, done.get().totalRecords()));
    }
    BatchRecord batch = store.readBatchRecord(input.batchId());
    Optional<OutputManifest.Base> base = batch.publishedBase();
    List<String> inputs = new ArrayList<>();
    base.ifPresent(b -> inputs.add(b.prefix()));
    Set<String> deferred = new LinkedHashSet<>();
    Set<String> quarantined = new LinkedHashSet<>();
    for (int i = 0; i < plan.size(); i++) {
      String chunk = StorageLayout.intermediatePrefix(input.batchId(), i);
      OutputManifest intermediate = store.manifest(chunk).orElseThrow(() -> new TaskFailure(ErrorNames.UNEXPECTED,
          chunk + " has no manifest: the chunk did not complete"));
      deferred.addAll(intermediate.deferredOrNone());
      quarantined.addAll(intermediate.quarantinedOrNone());
      inputs.add(chunk);
    }
    Path out = context.workDir().resolve("snapshot");
    TaskMetrics metrics = MergeProgress.metrics(context, input.batchId(), null);
    // The base is taken over as it stands and its indexes extended (IndexedSnapshotWriter); its versions too.
    CompactionSummary summary = new BucketMerge(inputs, base.isPresent(), DeltaOrigin.COMPACTOR, input.mode(),
        CompactionOptions.snapshot().versioned(null),
        IndexedSnapshotWriter.factory(Runtime.getRuntime().availableProcessors(), target))
        .run(store.blobs, out, context, metrics);
    // Verified before it can be published: the folder reads back whole, with the records the merge counted.
    List<String> problems = SnapshotCheck.run(out, summary.recordsByCollection());
    if (!problems.isEmpty()) {
      throw new InvariantViolation("snapshot " + prefix + " failed its check and is not uploaded: "
          + problems.stream().limit(5).toList() + (problems.size() > 5 ? " and " + (problems.size() - 5) + " more" : ""));
    }
    context.progress("snapshot " + prefix + " checked: " + summary.recordsWritten() + " records read back"
        + (summary.superseded() > 0 ? ", " + summary.superseded() + " late operations superseded" : ""));
    // A delta deferred by one chunk stays pending as a whole, even if another chunk merged its other collections:
    // merged again later, its operations apply again at its own version, which changes nothing they already did.
    List<String> consumed = new ArrayList<>(Planner.deltaKeys(plan));
    consumed.removeAll(deferred);
    consumed.removeAll(quarantined);
    OutputManifest manifest = OutputManifest.write(out, "snapshot", input.batchId(),
        base.orElse(new OutputManifest.Base(null, null)), consumed, summary.recordsByCollection(), batch.highWater(),
        List.copyOf(deferred), List.copyOf(quarantined));
    context.checkCancelled();
    FolderTransfer.upload(store.blobs, out, prefix, OutputManifest.FILE);
    MergeProgress.mergeDone(context, metrics, input.mode(), "snapshot " + prefix, summary);
    return ContractJson.output(new FinalMergeOutput(prefix, manifest.totalRecords()));
  }
}
