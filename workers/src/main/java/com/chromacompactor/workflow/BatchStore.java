package com.chromacompactor.workflow;

import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.StorageKeys;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The bucket as the workflow's steps see it: plans, processed markers, manifests and the
 * {@code latest} pointer, laid out as {@link StorageLayout} says.
 */
final class BatchStore {
  /** Marks a consumed delta: {@code plans/processed/<delta path>/DONE}. */
  static final String PROCESSED_PREFIX = StorageLayout.PLANS_PREFIX + "processed/";
  private static final String DONE = "DONE";

  final BlobStore blobs;

  BatchStore(BlobStore blobs) {
    this.blobs = blobs;
  }

  List<PlannedChunk> readPlan(String batchId, String planKey) throws IOException, TaskFailure {
    ContractJson.require(planKey != null && planKey.equals(StorageLayout.planKey(batchId)),
        "planKey must be " + StorageLayout.planKey(batchId) + ", got " + planKey);
    byte[] body = blobs.get(planKey).orElseThrow(() -> new TaskFailure(ErrorNames.INVALID_INPUT,
        "no plan at " + blobs.describe() + "/" + planKey)).body();
    List<PlannedChunk> plan = ContractJson.MAPPER.readValue(body, new TypeReference<List<PlannedChunk>>() {});
    for (int i = 0; i < plan.size(); i++) {
      ContractJson.require(plan.get(i).chunkIndex() == i, planKey + ": chunk " + i + " has index " + plan.get(i).chunkIndex());
      for (String key : plan.get(i).deltaKeys()) {
        StorageKeys.requireFolderUnder(StorageLayout.DELTAS_PREFIX, key);
      }
    }
    return plan;
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

  /** Delta keys already consumed, from their markers. */
  java.util.Set<String> processedDeltas() throws IOException {
    java.util.Set<String> out = new java.util.HashSet<>();
    for (String marker : blobs.listKeys(PROCESSED_PREFIX)) {
      if (marker.endsWith("/" + DONE)) {
        out.add(StorageLayout.DELTAS_PREFIX + marker.substring(PROCESSED_PREFIX.length(), marker.length() - DONE.length()));
      }
    }
    return out;
  }

  static String snapshotPrefix(String batchId) {
    return StorageLayout.SNAPSHOTS_PREFIX + batchId + "/";
  }
}
