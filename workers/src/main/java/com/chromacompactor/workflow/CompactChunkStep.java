package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.merge.CompactionOptions;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.merge.DeltaVersion;
import com.chromacompactor.merge.RecordVersions;
import com.chromacompactor.metrics.TaskMetrics;
import com.chromacompactor.snapshot.QueueSnapshotWriter;
import com.chromacompactor.statemachine.contract.ChunkResult;
import com.chromacompactor.statemachine.contract.ChunkTask;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.FolderTransfer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/**
 * CompactChunk: merges one chunk's deltas, in write order, into an intermediate under {@code
 * intermediate/<batch>/chunk-<i>/}: a Chroma directory of that collection, the tombstones the chunk
 * applied (so the final merge applies them to older state too), the version of each id's last write
 * and delete ({@link RecordVersions}), and a manifest written last. A chunk that holds a late delta
 * also gates it by the versions of the snapshot the batch merges on, so a late write never mixes
 * into a newer one. A delta refused while merging is quarantined; one that is not what its marker
 * says yet is deferred (it stays pending) until the incomplete-upload limit, then quarantined. The
 * same chunk always gives the same files, so a retry overwrites them with identical bytes.
 */
final class CompactChunkStep implements ActivityHandler {
  private final BlobStore bucket;
  private final Quarantine.Policy policy;
  private final IntakeRules rules;
  private final Clock clock;

  CompactChunkStep(BlobStore bucket, Quarantine.Policy policy, IntakeRules rules, Clock clock) {
    this.bucket = bucket;
    this.policy = policy;
    this.rules = rules;
    this.clock = clock;
  }

  @Override
  public String handle(String inputJson, TaskContext context) throws Exception {
    ChunkTask task = ContractJson.input(inputJson, ChunkTask.class);
    ContractJson.require(task.mode() != null, "mode is required");
    BatchStore store = new BatchStore(bucket, task.lineage());
    List<PlannedChunk> plan = store.readPlan(task.batchId(), task.planKey());
    ContractJson.require(
        task.chunkIndex() >= 0 && task.chunkIndex() < plan.size(),
        "chunkIndex " + task.chunkIndex() + " outside 0.." + (plan.size() - 1));
    PlannedChunk chunk = plan.get(task.chunkIndex());
    BatchRecord batch = store.readBatchRecord(task.batchId());
    Map<String, BatchRecord.PlannedDelta> planned = batch.byKey();
    String prefix = StorageLayout.intermediatePrefix(task.batchId(), task.chunkIndex());
    Path out = context.workDir().resolve("intermediate");
    TaskMetrics metrics = MergeProgress.metrics(context, task.batchId(), chunk.collection());
    CompactionSummary summary =
        merge(
            store,
            batch,
            chunk,
            chunk.deltaKeys(),
            task.mode(),
            policy == Quarantine.Policy.QUARANTINE
                ? CompactionOptions.BadDeltaPolicy.SKIP
                : CompactionOptions.BadDeltaPolicy.FAIL,
            out,
            context,
            metrics);
    List<String> quarantined = new ArrayList<>();
    for (CompactionSummary.RefusedDelta refused : summary.refused()) {
      Quarantine.record(
          store,
          task.batchId(),
          refused.delta(),
          refused.problem(),
          refused.detail(),
          QuarantineStep.COMPACT_CHUNK);
      quarantined.add(refused.delta());
      context.progress(
          "quarantined " + refused.delta() + ": " + refused.problem() + ": " + refused.detail());
    }
    List<String> deferred = new ArrayList<>();
    for (CompactionSummary.DeferredDelta d : summary.deferred()) {
      Duration waited = Duration.between(planned.get(d.delta()).firstSeen(), clock.instant());
      DeltaIntake.Verdict verdict =
          new DeltaIntake(store.blobs, rules, clock.instant())
              .incomplete(d.delta(), planned.get(d.delta()).firstSeen(), d.detail());
      if (verdict instanceof DeltaIntake.Refused r) {
        if (policy == Quarantine.Policy.FAIL) {
          throw r.refusal();
        }
        Quarantine.record(
            store,
            task.batchId(),
            d.delta(),
            DeltaProblem.INCOMPLETE_UPLOAD,
            r.refusal().detail(),
            QuarantineStep.COMPACT_CHUNK);
        quarantined.add(d.delta());
        context.progress(
            "quarantined " + d.delta() + ": INCOMPLETE_UPLOAD: " + r.refusal().detail());
      } else {
        deferred.add(d.delta());
        context.progress(
            "deferred " + d.delta() + " (waiting " + waited.toSeconds() + " s): " + d.detail());
      }
    }
    metrics.put(MetricNames.DELTAS_QUARANTINED, quarantined.size(), StandardUnit.COUNT);
    List<String> merged = new ArrayList<>(chunk.deltaKeys());
    merged.removeAll(quarantined);
    merged.removeAll(deferred);
    OutputManifest.write(
        out,
        "intermediate",
        task.batchId(),
        null,
        merged,
        Map.of(chunk.collection(), summary.recordsWritten()),
        null,
        deferred,
        quarantined);
    context.checkCancelled();
    FolderTransfer.upload(store.blobs, out, prefix, OutputManifest.FILE);
    MergeProgress.mergeDone(
        context,
        metrics,
        task.mode(),
        "chunk " + task.chunkIndex() + " of " + chunk.collection(),
        merged.size()
            + " of "
            + chunk.deltaKeys().size()
            + " deltas merged ("
            + quarantined.size()
            + " quarantined, "
            + deferred.size()
            + " deferred)",
        summary);
    return ContractJson.output(
        new ChunkResult(prefix, summary.recordsWritten(), merged.size(), summary.recordsRead()));
  }

  /**
   * The merge of a chunk: {@code deltaKeys} (the chunk's deltas, or some of them, in plan order)
   * into {@code out}, an intermediate of the chunk's collection without its manifest, gated by the
   * base's versions when one of them is late. FinalMerge merges a chunk again through it, without
   * the deltas another chunk of the batch left out.
   */
  static CompactionSummary merge(
      BatchStore store,
      BatchRecord batch,
      PlannedChunk chunk,
      List<String> deltaKeys,
      CompactionMode mode,
      CompactionOptions.BadDeltaPolicy badDeltas,
      Path out,
      TaskContext context,
      TaskMetrics metrics)
      throws IOException, TaskFailure {
    Map<String, BatchRecord.PlannedDelta> planned = batch.byKey();
    Map<String, DeltaVersion> versions = new LinkedHashMap<>();
    boolean late = false;
    for (String key : deltaKeys) {
      BatchRecord.PlannedDelta d = planned.get(key);
      if (d == null) {
        throw new TaskFailure(
            ErrorNames.UNEXPECTED,
            "invariant violated: "
                + key
                + " is in the plan of "
                + batch.batchId()
                + " but not in its batch record");
      }
      versions.put(key, d.version());
      late |= d.arrival() == BatchRecord.Arrival.LATE;
    }
    Path reference = late ? referenceVersions(store, batch, out, context) : null;
    CompactionOptions options =
        CompactionOptions.intermediate(chunk.collection(), badDeltas).versioned(reference);
    return new BucketMerge(
            deltaKeys,
            MergeStart.EMPTY,
            DeltaOrigin.PRODUCER,
            versions,
            mode,
            options,
            QueueSnapshotWriter::create)
        .run(store.blobs, out, context, metrics);
  }

  /**
   * The record versions of the snapshot the batch merges on, downloaded: a late delta's operations
   * are gated by them. Null when nothing was published or the base was written before versions
   * (then nothing can be told late).
   */
  private static Path referenceVersions(
      BatchStore store, BatchRecord batch, Path out, TaskContext context)
      throws IOException, TaskFailure {
    if (batch.publishedBase().isEmpty()) {
      return null;
    }
    String base = batch.publishedBase().get().prefix();
    OutputManifest manifest =
        store
            .manifest(base)
            .orElseThrow(
                () ->
                    new TaskFailure(
                        ErrorNames.UNEXPECTED,
                        "the base " + base + " of batch " + batch.batchId() + " has no manifest"));
    OutputManifest.FileEntry expected = manifest.files().get(RecordVersions.FILE);
    if (expected == null) {
      return null;
    }
    Path target = out.resolveSibling(out.getFileName() + "-base-" + RecordVersions.FILE);
    store.blobs.download(base + RecordVersions.FILE, target);
    OutputManifest.FileEntry found =
        new OutputManifest.FileEntry(Files.size(target), OutputManifest.sha256(target));
    if (!found.equals(expected)) {
      throw new IOException(
          base
              + RecordVersions.FILE
              + ": expected "
              + expected
              + " as its manifest says, found "
              + found); // a damaged transfer: retried
    }
    context.progress(
        "a late delta: gated by the versions of " + batch.publishedBase().get().prefix());
    return target;
  }
}
