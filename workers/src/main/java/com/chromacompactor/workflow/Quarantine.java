package com.chromacompactor.workflow;

import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.StorageKeys;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Refused deltas. A refusal is recorded under {@code quarantine/<batch>/<delta name>.json} with a
 * machine-readable reason, and the delta is marked consumed so no later plan takes it again. The
 * delta itself stays where the producer put it (workers may only read {@code deltas/}). An operator
 * (or the producer) fixes or replaces it and {@link #release releases} it: it is pending again and
 * merges at its own sequence, as any late delta does.
 *
 * <p>A release is three idempotent writes, in an order that a retry after any of them completes: a
 * {@code RELEASED} marker beside the {@code DONE} one (its time makes the next batch a new batch),
 * the {@code DONE} marker deleted (the delta is pending), then each of the delta's records
 * rewritten with {@code releasedAt} (it no longer lists as quarantined).
 */
public final class Quarantine {
  /** What happens to a delta that cannot be compacted. */
  public enum Policy {
    /** Recorded with its reason and left out; the rest of the batch compacts. The default. */
    QUARANTINE,
    /** The whole batch fails, naming the delta. */
    FAIL;

    public static Policy parse(String value) {
      if (value == null || value.isBlank()) {
        return QUARANTINE;
      }
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "quarantine" -> QUARANTINE;
        case "fail" -> FAIL;
        default ->
            throw new IllegalArgumentException(
                "bad-delta policy must be quarantine or fail, got '" + value + "'");
      };
    }
  }

  /**
   * The reason file.
   *
   * @param batchId the batch that refused it
   * @param deltaKey the delta's key within its lineage
   * @param problem why
   * @param detail what exactly, for a person
   * @param step where it was found
   * @param recordedAt when
   * @param releasedAt when it was released, or null while it is quarantined
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Record(
      String batchId,
      String deltaKey,
      DeltaProblem problem,
      String detail,
      QuarantineStep step,
      Instant recordedAt,
      Instant releasedAt) {
    public boolean released() {
      return releasedAt != null;
    }
  }

  /** A key that cannot be released, and why (not quarantined, or already released). */
  public static final class NotQuarantinedException extends IOException {
    NotQuarantinedException(String message) {
      super(message);
    }
  }

  private Quarantine() {}

  static String key(String batchId, String deltaKey) {
    return StorageLayout.QUARANTINE_PREFIX
        + batchId
        + "/"
        + StorageKeys.folderName(deltaKey)
        + ".json";
  }

  static void record(
      BatchStore store,
      String batchId,
      String deltaKey,
      DeltaProblem problem,
      String detail,
      QuarantineStep step)
      throws IOException {
    Record reason = new Record(batchId, deltaKey, problem, detail, step, Instant.now(), null);
    store.blobs.put(key(batchId, deltaKey), ContractJson.bytes(reason));
    store.blobs.put(BatchStore.processedMarker(deltaKey), ContractJson.bytes(reason));
  }

  /** Every quarantine record of the lineage, released or not, oldest first. */
  public static List<Record> list(BlobStore bucket, Lineage lineage) throws IOException {
    BatchStore store = new BatchStore(bucket, lineage);
    List<Record> out = new ArrayList<>();
    for (BlobStore.Listed object : store.blobs.list(StorageLayout.QUARANTINE_PREFIX)) {
      if (object.key().endsWith(".json")) {
        byte[] body =
            store
                .blobs
                .get(object.key())
                .orElseThrow(() -> new IOException(object.key() + " was listed but is gone"))
                .body();
        out.add(ContractJson.MAPPER.readValue(body, Record.class));
      }
    }
    out.sort(Comparator.comparing(Record::recordedAt).thenComparing(Record::deltaKey));
    return out;
  }

  /**
   * Makes a quarantined delta pending again. {@code deltaKey} is the delta's key within the lineage
   * ({@code deltas/<name>/}); the lineage's root in front of it is accepted too.
   *
   * @return the records released
   * @throws NotQuarantinedException when the delta has no record that is not released yet
   */
  public static List<Record> release(BlobStore bucket, Lineage lineage, String deltaKey)
      throws IOException {
    String key = deltaKey.endsWith("/") ? deltaKey : deltaKey + "/";
    if (!lineage.isNone() && key.startsWith(lineage.root() + StorageLayout.DELTAS_PREFIX)) {
      key = key.substring(lineage.root().length());
    }
    StorageKeys.requireFolderUnder(StorageLayout.DELTAS_PREFIX, key);
    String wanted = key;
    BatchStore store = new BatchStore(bucket, lineage);
    List<Record> held =
        list(bucket, lineage).stream()
            .filter(r -> r.deltaKey().equals(wanted) && !r.released())
            .toList();
    if (held.isEmpty()) {
      boolean wasReleased =
          list(bucket, lineage).stream().anyMatch(r -> r.deltaKey().equals(wanted));
      throw new NotQuarantinedException(
          wanted
              + " is not quarantined in "
              + store.blobs.describe()
              + (wasReleased ? ": it was released already" : ": no quarantine record names it")
              + " (compactor quarantine list shows what is)");
    }
    Instant now = Instant.now();
    store.blobs.put(
        BatchStore.releasedMarker(wanted), ContractJson.bytes(held.get(held.size() - 1)));
    store.blobs.delete(List.of(BatchStore.processedMarker(wanted)));
    List<Record> released = new ArrayList<>();
    for (Record r : held) {
      Record done =
          new Record(
              r.batchId(), r.deltaKey(), r.problem(), r.detail(), r.step(), r.recordedAt(), now);
      store.blobs.put(key(r.batchId(), r.deltaKey()), ContractJson.bytes(done));
      released.add(done);
    }
    return released;
  }
}
