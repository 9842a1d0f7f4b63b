package com.chromacompactor.workflow;

import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.RootedBlobStore;
import com.chromacompactor.storage.StorageKeys;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One lineage's part of the bucket as the workflow's steps see it: plans, processed markers,
 * manifests and the {@code latest} pointer, laid out as {@link StorageLayout} says under the
 * lineage's root. Every key below is relative to that root; {@link #blobs} cannot reach another
 * lineage's keys.
 */
final class BatchStore {
  /** Marks a consumed delta: {@code plans/processed/<delta path>/DONE}. */
  static final String PROCESSED_PREFIX = StorageLayout.PLANS_PREFIX + "processed/";

  private static final String DONE = "DONE";

  /** Marks a delta released from quarantine: pending again unless a later DONE consumed it. */
  private static final String RELEASED = "RELEASED";

  final BlobStore blobs;
  final Lineage lineage;

  /** The part of {@code bucket} that belongs to {@code lineage}. */
  BatchStore(BlobStore bucket, Lineage lineage) {
    this.blobs = RootedBlobStore.under(bucket, lineage.root());
    this.lineage = lineage;
  }

  /** The unnamed lineage: keys at the root of {@code bucket}. */
  BatchStore(BlobStore bucket) {
    this(bucket, Lineage.NONE);
  }

  /** The plan file's key as the state machine passes it: with the lineage's root. */
  String planKey(String batchId) {
    return lineage.planKey(batchId);
  }

  List<PlannedChunk> readPlan(String batchId, String planKey) throws IOException, TaskFailure {
    ContractJson.require(
        planKey != null && planKey.equals(planKey(batchId)),
        "planKey must be " + planKey(batchId) + ", got " + planKey);
    String key = StorageLayout.planKey(batchId);
    byte[] body =
        blobs
            .get(key)
            .orElseThrow(
                () ->
                    new TaskFailure(
                        ErrorNames.INVALID_INPUT, "no plan at " + blobs.describe() + "/" + key))
            .body();
    List<PlannedChunk> plan =
        ContractJson.MAPPER.readValue(body, new TypeReference<List<PlannedChunk>>() {});
    for (int i = 0; i < plan.size(); i++) {
      ContractJson.require(
          plan.get(i).chunkIndex() == i,
          planKey + ": chunk " + i + " has index " + plan.get(i).chunkIndex());
      for (String deltaKey : plan.get(i).deltaKeys()) {
        StorageKeys.requireFolderUnder(StorageLayout.DELTAS_PREFIX, deltaKey);
      }
    }
    return plan;
  }

  /** {@code plans/<batch>/batch.json}: what Plan knew of the batch's deltas and its base. */
  static String batchRecordKey(String batchId) {
    return StorageLayout.PLANS_PREFIX + batchId + "/" + BatchRecord.FILE;
  }

  BatchRecord readBatchRecord(String batchId) throws IOException, TaskFailure {
    String key = batchRecordKey(batchId);
    byte[] body =
        blobs
            .get(key)
            .orElseThrow(
                () ->
                    new TaskFailure(
                        ErrorNames.INVALID_INPUT,
                        "no batch record at "
                            + blobs.describe()
                            + "/"
                            + key
                            + ": Plan did not write this batch"))
            .body();
    BatchRecord record = ContractJson.MAPPER.readValue(body, BatchRecord.class);
    ContractJson.require(
        batchId.equals(record.batchId()), key + " is of batch " + record.batchId());
    return record;
  }

  /** The published snapshot: its prefix and the pointer's entity tag, if anything was published. */
  Optional<OutputManifest.Base> latest() throws IOException {
    Optional<BlobStore.Blob> b = blobs.get(StorageLayout.LATEST_KEY);
    if (b.isEmpty()) {
      return Optional.empty();
    }
    String prefix = new String(b.get().body(), StandardCharsets.UTF_8).trim();
    StorageKeys.requireFolderUnder(StorageLayout.SNAPSHOTS_PREFIX, prefix);
    return Optional.of(new OutputManifest.Base(prefix, b.get().etag()));
  }

  Optional<OutputManifest> manifest(String folderPrefix) throws IOException {
    Optional<BlobStore.Blob> b = blobs.get(folderPrefix + OutputManifest.FILE);
    return b.isEmpty() ? Optional.empty() : Optional.of(OutputManifest.parse(b.get().body()));
  }

  static String processedMarker(String deltaKey) {
    return PROCESSED_PREFIX + deltaKey.substring(StorageLayout.DELTAS_PREFIX.length()) + DONE;
  }

  static String releasedMarker(String deltaKey) {
    return PROCESSED_PREFIX + deltaKey.substring(StorageLayout.DELTAS_PREFIX.length()) + RELEASED;
  }

  /**
   * What the processed markers say: the deltas consumed (merged, or quarantined) and, of the
   * others, when each delta released from quarantine was released.
   */
  record Ledger(Set<String> consumed, Map<String, Instant> released) {}

  /** Delta keys already consumed or quarantined, and those released since, from their markers. */
  Ledger ledger() throws IOException {
    Set<String> consumed = new HashSet<>();
    Map<String, Instant> released = new HashMap<>();
    for (BlobStore.Listed marker : blobs.list(PROCESSED_PREFIX)) {
      String key = marker.key();
      if (key.endsWith("/" + DONE)) {
        consumed.add(
            StorageLayout.DELTAS_PREFIX
                + key.substring(PROCESSED_PREFIX.length(), key.length() - DONE.length()));
      } else if (key.endsWith("/" + RELEASED)) {
        released.put(
            StorageLayout.DELTAS_PREFIX
                + key.substring(PROCESSED_PREFIX.length(), key.length() - RELEASED.length()),
            marker.lastModified());
      }
    }
    released.keySet().removeAll(consumed);
    return new Ledger(consumed, released);
  }

  /** Delta keys already consumed or quarantined, from their markers. */
  Set<String> processedDeltas() throws IOException {
    return ledger().consumed();
  }

  static String snapshotPrefix(String batchId) {
    return StorageLayout.SNAPSHOTS_PREFIX + batchId + "/";
  }
}
