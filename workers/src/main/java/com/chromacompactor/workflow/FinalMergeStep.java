package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskCancelledException;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.audit.SnapshotCheck;
import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.files.FileTrees;
import com.chromacompactor.hnsw.IndexBuild;
import com.chromacompactor.invariant.InvariantViolation;
import com.chromacompactor.merge.CompactionOptions;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.metrics.TaskMetrics;
import com.chromacompactor.snapshot.IndexedSnapshotWriter;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.FinalMergeInput;
import com.chromacompactor.statemachine.contract.FinalMergeOutput;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.FolderTransfer;
import com.chromacompactor.storage.TransientStorageException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * FinalMerge: the snapshot the batch was planned on (if any), then every chunk's intermediate in
 * chunk order, merged into a new ready-to-query snapshot (the indexed route, extending the base's
 * index) under {@code snapshots/<batch>/}. Every write and delete is gated by the ids' recorded
 * versions, which the new snapshot keeps ({@link com.chromacompactor.merge.RecordVersions}). Its
 * manifest records the snapshot it started from and the entity tag of {@code latest} that Plan
 * read, which Publish needs for its conditional write; the deltas it consumed (not those deferred
 * or quarantined by a chunk); and its high-water mark, above which deltas are in order. A delta is
 * merged whole or not at all: a chunk that merged a delta another chunk quarantined or deferred
 * (its other collection) is merged again without it first. A snapshot whose manifest is already
 * there was finished by an earlier attempt: it is reused.
 */
final class FinalMergeStep implements ActivityHandler {
  private final BlobStore bucket;

  /**
   * The readers' release line the snapshot is written for (intermediates stay in the 1.5 format).
   */
  private final ChromaTarget target;

  /** How the snapshot's indexes are built. */
  private final IndexBuild build;

  FinalMergeStep(BlobStore bucket, ChromaTarget target, IndexBuild build) {
    this.bucket = bucket;
    this.target = target;
    this.build = build;
  }

  @Override
  public String handle(String inputJson, TaskContext context) throws Exception {
    FinalMergeInput input = ContractJson.input(inputJson, FinalMergeInput.class);
    ContractJson.require(input.mode() != null, "mode is required");
    BatchStore store = new BatchStore(bucket, input.lineage());
    List<PlannedChunk> plan = store.readPlan(input.batchId(), input.planKey());
    ContractJson.require(
        input.chunkCount() == plan.size(),
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
    List<OutputManifest> intermediates = new ArrayList<>();
    for (int i = 0; i < plan.size(); i++) {
      String chunk = StorageLayout.intermediatePrefix(input.batchId(), i);
      OutputManifest intermediate =
          store
              .manifest(chunk)
              .orElseThrow(
                  () ->
                      new TaskFailure(
                          ErrorNames.UNEXPECTED,
                          chunk + " has no manifest: the chunk did not complete"));
      deferred.addAll(intermediate.deferredOrNone());
      quarantined.addAll(intermediate.quarantinedOrNone());
      intermediates.add(intermediate);
    }
    // A delta is merged whole or not at all: one that a chunk quarantined or deferred is left out
    // of every chunk of
    // the batch, though another chunk (another collection of it) merged it.
    Set<String> leftOut = new LinkedHashSet<>(quarantined);
    leftOut.addAll(deferred);
    for (int i = 0; i < plan.size(); i++) {
      List<String> merged = intermediates.get(i).deltaKeys();
      if (merged.stream().noneMatch(leftOut::contains)) {
        inputs.add(StorageLayout.intermediatePrefix(input.batchId(), i));
      } else {
        mergeAgainWithout(
                store, batch, plan.get(i), i, intermediates.get(i), leftOut, input.mode(), context)
            .ifPresent(inputs::add);
      }
    }
    Path out = context.workDir().resolve("snapshot");
    TaskMetrics metrics = MergeProgress.metrics(context, input.batchId(), null);
    // The base is taken over as it stands and its indexes extended (IndexedSnapshotWriter); its
    // versions too.
    CompactionSummary summary =
        new BucketMerge(
                inputs,
                base.isPresent() ? MergeStart.PUBLISHED_SNAPSHOT : MergeStart.EMPTY,
                DeltaOrigin.COMPACTOR,
                input.mode(),
                CompactionOptions.snapshot().versioned(null),
                IndexedSnapshotWriter.factory(
                    Runtime.getRuntime().availableProcessors(), target, build))
            .run(store.blobs, out, context, metrics);
    // Verified before it can be published: the folder reads back whole, with the records the merge
    // counted.
    List<String> problems = SnapshotCheck.run(out, summary.recordsByCollection());
    if (!problems.isEmpty()) {
      throw new InvariantViolation(
          "snapshot "
              + prefix
              + " failed its check and is not uploaded: "
              + problems.stream().limit(5).toList()
              + (problems.size() > 5 ? " and " + (problems.size() - 5) + " more" : ""));
    }
    context.progress(
        "snapshot "
            + prefix
            + " checked: "
            + summary.recordsWritten()
            + " distinct ids read back"
            + (summary.superseded() > 0
                ? ", " + summary.superseded() + " late operations superseded"
                : ""));
    // A delta deferred by a chunk stays pending as a whole (no chunk's merge of it is in the
    // snapshot).
    List<String> consumed = new ArrayList<>(Planner.deltaKeys(plan));
    consumed.removeAll(deferred);
    consumed.removeAll(quarantined);
    OutputManifest manifest =
        OutputManifest.write(
            out,
            "snapshot",
            input.batchId(),
            base.orElse(new OutputManifest.Base(null, null)),
            consumed,
            summary.recordsByCollection(),
            batch.highWater(),
            List.copyOf(deferred),
            List.copyOf(quarantined));
    context.checkCancelled();
    FolderTransfer.upload(store.blobs, out, prefix, OutputManifest.FILE);
    MergeProgress.mergeDone(
        context,
        metrics,
        input.mode(),
        "snapshot " + prefix,
        plan.size()
            + " intermediates"
            + (base.isPresent() ? " merged on " + base.get().prefix() : " merged")
            + ": "
            + consumed.size()
            + " of the"
            + " plan's "
            + Planner.deltaKeys(plan).size()
            + " deltas ("
            + quarantined.size()
            + " quarantined, "
            + deferred.size()
            + " deferred)",
        summary);
    return ContractJson.output(new FinalMergeOutput(prefix, manifest.totalRecords()));
  }

  /**
   * Chunk {@code index} merged again, without the deltas of {@code leftOut} it had merged, into
   * {@code intermediate/<batch>/chunk-<i>-without/} (the chunk's own intermediate stays as it was
   * written, so a retry finds the same inputs): the same merge as the chunk's ({@link
   * CompactChunkStep#merge}). A retry finds it complete by its manifest and reuses it. Its
   * remaining deltas merged once already: a refusal now fails the batch naming the delta (nothing
   * is quarantined behind the chunk's back), and one that no longer matches its marker is a
   * transfer to make again (retried).
   *
   * @return the prefix to merge instead of the chunk's intermediate, or none when it merged only
   *     deltas left out
   */
  private static Optional<String> mergeAgainWithout(
      BatchStore store,
      BatchRecord batch,
      PlannedChunk chunk,
      int index,
      OutputManifest intermediate,
      Set<String> leftOut,
      CompactionMode mode,
      TaskContext context)
      throws IOException, TaskFailure, TaskCancelledException {
    List<String> dropped = intermediate.deltaKeys().stream().filter(leftOut::contains).toList();
    List<String> kept =
        intermediate.deltaKeys().stream().filter(k -> !leftOut.contains(k)).toList();
    String what = "chunk " + index + " of " + chunk.collection();
    if (kept.isEmpty()) {
      context.progress(
          what
              + ": left out, every delta it merged is quarantined or deferred by another chunk: "
              + dropped);
      return Optional.empty();
    }
    String prefix =
        StorageLayout.intermediatePrefix(batch.batchId(), index).replaceFirst("/$", "-without/");
    Optional<OutputManifest> done = store.manifest(prefix);
    if (done.isPresent() && done.get().deltaKeys().equals(kept)) {
      context.progress(what + " was already merged again without " + dropped + ": " + prefix);
      return Optional.of(prefix);
    }
    context.progress(
        what + ": merged again without " + dropped + ", quarantined or deferred by another chunk");
    Path out = context.workDir().resolve("chunk-" + index + "-without");
    TaskMetrics metrics = MergeProgress.metrics(context, batch.batchId(), chunk.collection());
    CompactionSummary summary =
        CompactChunkStep.merge(
            store,
            batch,
            chunk,
            kept,
            mode,
            CompactionOptions.BadDeltaPolicy.FAIL,
            out,
            context,
            metrics);
    if (!summary.deferred().isEmpty()) {
      CompactionSummary.DeferredDelta d = summary.deferred().get(0);
      throw new TransientStorageException(
          d.delta() + " merged in " + what + " but now differs from its marker: " + d.detail());
    }
    OutputManifest.write(
        out,
        "intermediate",
        batch.batchId(),
        null,
        kept,
        Map.of(chunk.collection(), summary.recordsWritten()),
        null,
        intermediate.deferredOrNone(),
        intermediate.quarantinedOrNone());
    context.checkCancelled();
    FolderTransfer.upload(store.blobs, out, prefix, OutputManifest.FILE);
    FileTrees.delete(out);
    MergeProgress.mergeDone(
        context,
        metrics,
        mode,
        what + " again",
        kept.size()
            + " of "
            + chunk.deltaKeys().size()
            + " deltas merged ("
            + dropped.size()
            + " left out for another chunk)",
        summary);
    return Optional.of(prefix);
  }
}
