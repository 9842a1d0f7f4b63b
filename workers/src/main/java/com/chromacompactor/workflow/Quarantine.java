package com.chromacompactor.workflow;

import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.StorageKeys;
import java.io.IOException;
import java.time.Instant;

/**
 * Records a refused delta under {@code quarantine/<batch>/<delta name>.json} with a machine-readable
 * reason, and marks it consumed so no later plan takes it again. The delta itself stays where the
 * producer put it (workers may only read {@code deltas/}); an operator fixes it and uploads it under a
 * new key.
 */
final class Quarantine {
  /** What happens to a delta that cannot be compacted. */
  enum Policy {
    /** Recorded with its reason and left out; the rest of the batch compacts. The default. */
    QUARANTINE,
    /** The whole batch fails, naming the delta. */
    FAIL;

    static Policy parse(String value) {
      if (value == null || value.isBlank()) {
        return QUARANTINE;
      }
      switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "quarantine":
          return QUARANTINE;
        case "fail":
          return FAIL;
        default:
          throw new IllegalArgumentException("bad-delta policy must be quarantine or fail, got '" + value + "'");
      }
    }
  }

  /** The reason file. */
  record Reason(String batchId, String deltaKey, String problem, String detail, String step, String recordedAt) {}

  private Quarantine() {}

  static String key(String batchId, String deltaKey) {
    return StorageLayout.QUARANTINE_PREFIX + batchId + "/" + StorageKeys.folderName(deltaKey) + ".json";
  }

  static void record(BatchStore store, String batchId, String deltaKey, String problem, String detail, String step)
      throws IOException {
    Reason reason = new Reason(batchId, deltaKey, problem, detail, step, Instant.now().toString());
    store.blobs.put(key(batchId, deltaKey), ContractJson.bytes(reason));
    store.blobs.put(BatchStore.processedMarker(deltaKey),
        ("quarantined in " + batchId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
