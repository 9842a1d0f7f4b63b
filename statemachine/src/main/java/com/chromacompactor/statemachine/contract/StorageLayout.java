package com.chromacompactor.statemachine.contract;

import java.util.List;

/**
 * The key layout of the compaction bucket. The workers' IAM policy is cut along these prefixes (see
 * {@code CompactionWorkflow.grantWorkerStorage}): they read {@code deltas/}, and write only the
 * other prefixes.
 */
public final class StorageLayout {
  /** Pending deltas, one directory per delta. Read-only for the workers. */
  public static final String DELTAS_PREFIX = "deltas/";

  /** Per-chunk merge results; deleted by Cleanup and expired by a lifecycle rule. */
  public static final String INTERMEDIATE_PREFIX = "intermediate/";

  /** Versioned snapshots, {@code snapshots/<version>/}. */
  public static final String SNAPSHOTS_PREFIX = "snapshots/";

  /** Plans and processed manifests. */
  public static final String PLANS_PREFIX = "plans/";

  /** Copies of deltas that could not be read. */
  public static final String QUARANTINE_PREFIX = "quarantine/";

  /**
   * The pointer object: its body is the prefix of the published snapshot. Swapped with a
   * conditional write.
   */
  public static final String LATEST_KEY = "latest";

  /** Every prefix the workers write to (and {@link #LATEST_KEY}). */
  public static final List<String> WRITABLE_PREFIXES =
      List.of(INTERMEDIATE_PREFIX, SNAPSHOTS_PREFIX, PLANS_PREFIX, QUARANTINE_PREFIX);

  private StorageLayout() {}

  /** {@code plans/<batchId>/chunks.json}: the JSON array of {@link PlannedChunk}. */
  public static String planKey(String batchId) {
    return PLANS_PREFIX + requireSegment(batchId) + "/chunks.json";
  }

  /** {@code plans/<batchId>/processed.json}: the deltas a successful run consumed. */
  public static String processedManifestKey(String batchId) {
    return PLANS_PREFIX + requireSegment(batchId) + "/processed.json";
  }

  /** {@code intermediate/<batchId>/chunk-<i>/}. */
  public static String intermediatePrefix(String batchId, int chunkIndex) {
    if (chunkIndex < 0) {
      throw new IllegalArgumentException("chunkIndex must be >= 0, got " + chunkIndex);
    }
    return INTERMEDIATE_PREFIX + requireSegment(batchId) + "/chunk-" + chunkIndex + "/";
  }

  private static String requireSegment(String batchId) {
    if (batchId == null || batchId.isEmpty() || batchId.contains("/")) {
      throw new IllegalArgumentException(
          "batchId must be a non-empty key segment without '/', got " + batchId);
    }
    return batchId;
  }
}
