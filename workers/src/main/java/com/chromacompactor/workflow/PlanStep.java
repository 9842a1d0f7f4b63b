package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.merge.Tombstones;
import com.chromacompactor.snapshot.SnapshotDirectory;
import com.chromacompactor.statemachine.contract.CompactionRequest;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.PlanInput;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.StorageKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Plan: finds the pending deltas, reads each one's record count per collection from its sqlite file
 * alone, cuts chunks ({@link Planner}), claims the batch and writes the plan to S3. Returns only the
 * plan's key and figures, whatever the size of the batch.
 *
 * <p>The batch id is a hash of the pending delta keys, so two triggers that see the same deltas plan
 * the same batch; the first execution to claim it ({@code plans/<batch>/claim.json}, a conditional
 * write) runs it, and the other finds nothing to do.
 */
final class PlanStep implements ActivityHandler {
  /** A claim older than this belongs to an execution that can no longer be running (24 h timeout). */
  static final Duration CLAIM_LIFETIME = Duration.ofHours(25);

  private final BatchStore store;
  private final Planner.ChunkSizes sizes;
  private final Quarantine.Policy policy;

  PlanStep(BatchStore store, Planner.ChunkSizes sizes, Quarantine.Policy policy) {
    this.store = store;
    this.sizes = sizes;
    this.policy = policy;
  }

  /** The claim file: who runs a batch, since when. */
  record Claim(String executionName, String claimedAt) {}

  @Override
  public String handle(String inputJson, TaskContext context) throws Exception {
    PlanInput input = ContractJson.input(inputJson, PlanInput.class);
    ContractJson.require(input.executionName() != null && !input.executionName().isBlank()
        && input.executionName().length() <= 80, "executionName must be 1-80 characters, got " + input.executionName());
    List<String> pending = pendingDeltas(input.request() == null ? new CompactionRequest(null, null) : input.request());
    if (pending.isEmpty()) {
      context.progress("no pending deltas");
      return ContractJson.output(new PlanOutput("none", StorageLayout.planKey("none"), 0, 0));
    }
    String batchId = batchId(pending);
    String planKey = StorageLayout.planKey(batchId);
    if (!claim(batchId, input.executionName(), context)) {
      return ContractJson.output(new PlanOutput(batchId, planKey, 0, 0));
    }
    List<Planner.DeltaCensus> census = new ArrayList<>();
    int quarantined = 0;
    for (int i = 0; i < pending.size(); i++) {
      context.checkCancelled();
      context.progress("census " + (i + 1) + "/" + pending.size() + ": " + pending.get(i));
      try {
        census.add(census(pending.get(i), context.workDir()));
      } catch (CorruptDeltaException e) {
        if (policy == Quarantine.Policy.FAIL) {
          throw e;
        }
        Quarantine.record(store, batchId, pending.get(i), e.problem().name(), e.detail(), "Plan");
        context.progress("quarantined " + pending.get(i) + ": " + e.problem() + ": " + e.detail());
        quarantined++;
      }
    }
    context.metrics().batch(batchId).put(com.chromacompactor.statemachine.contract.MetricNames.DELTAS_QUARANTINED, quarantined,
        software.amazon.awssdk.services.cloudwatch.model.StandardUnit.COUNT);
    List<PlannedChunk> chunks = Planner.plan(census, sizes);
    store.blobs.put(planKey, ContractJson.bytes(chunks));
    long total = Planner.totalEmbeddings(chunks);
    context.progress("batch " + batchId + ": " + pending.size() + " deltas, " + chunks.size() + " chunks, "
        + total + " embeddings");
    return ContractJson.output(new PlanOutput(batchId, planKey, chunks.size(), total));
  }

  private List<String> pendingDeltas(CompactionRequest request) throws IOException, TaskFailure {
    List<String> candidates;
    if (request.deltaKeys() != null) {
      candidates = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (String key : request.deltaKeys()) {
        try {
          StorageKeys.requireFolderUnder(StorageLayout.DELTAS_PREFIX, key);
        } catch (IllegalArgumentException e) {
          throw new TaskFailure(ErrorNames.INVALID_INPUT, "deltaKeys: " + e.getMessage(), e);
        }
        ContractJson.require(seen.add(key), "deltaKeys: " + key + " is listed twice");
        candidates.add(key);
      }
    } else {
      String prefix = request.prefix() == null ? StorageLayout.DELTAS_PREFIX : request.prefix();
      if (!prefix.equals(StorageLayout.DELTAS_PREFIX)) {
        try {
          StorageKeys.requireFolderUnder(StorageLayout.DELTAS_PREFIX, prefix);
        } catch (IllegalArgumentException e) {
          throw new TaskFailure(ErrorNames.INVALID_INPUT, "prefix: " + e.getMessage(), e);
        }
      }
      candidates = store.blobs.listFolders(prefix);
    }
    Set<String> consumed = store.processedDeltas();
    // Deltas of the published snapshot count as consumed even if its Cleanup never ran.
    var latest = store.latest();
    if (latest.isPresent()) {
      store.manifest(latest.get().prefix()).ifPresent(m -> consumed.addAll(m.deltaKeys()));
    }
    return candidates.stream().filter(k -> !consumed.contains(k)).sorted().toList();
  }

  static String batchId(List<String> deltaKeys) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(String.join("\n", deltaKeys).getBytes(StandardCharsets.UTF_8));
      return "b-" + HexFormat.of().formatHex(md.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private boolean claim(String batchId, String executionName, TaskContext context) throws IOException {
    String key = StorageLayout.PLANS_PREFIX + batchId + "/claim.json";
    byte[] mine = ContractJson.bytes(new Claim(executionName, Instant.now().toString()));
    if (store.blobs.putIfAbsent(key, mine)) {
      return true;
    }
    var existing = store.blobs.get(key).orElseThrow();
    Claim claim = ContractJson.MAPPER.readValue(existing.body(), Claim.class);
    if (executionName.equals(claim.executionName())) {
      return true; // this execution's Plan, retried
    }
    if (Instant.parse(claim.claimedAt()).plus(CLAIM_LIFETIME).isBefore(Instant.now())
        && store.blobs.putIfMatch(key, mine, existing.etag())) {
      context.progress("took over the stale claim of " + claim.executionName());
      return true;
    }
    context.progress("batch " + batchId + " is claimed by execution " + claim.executionName() + ": nothing to do");
    return false;
  }

  /** Records per collection of one delta, from its sqlite file (and tombstones) only. */
  private Planner.DeltaCensus census(String key, Path workDir) throws IOException {
    Path local = Files.createTempDirectory(workDir, "census-");
    try {
      return censusOf(key, local);
    } catch (CorruptDeltaException e) {
      throw e.relocated(key);
    } finally {
      SnapshotDirectory.deleteTree(local);
    }
  }

  private Planner.DeltaCensus censusOf(String key, Path local) throws IOException {
    Map<String, Long> records = new TreeMap<>();
    List<String> objects = store.blobs.listKeys(key);
    boolean tombstones = objects.contains(key + Tombstones.FILE);
    boolean sqlite = objects.contains(key + DeltaReader.SQLITE_FILE);
    if (!sqlite && !tombstones) {
      throw new CorruptDeltaException(local, DeltaProblem.NOT_CHROMA,
          "no " + DeltaReader.SQLITE_FILE + " (and no " + Tombstones.FILE + ") under the key");
    }
    if (tombstones) {
      store.blobs.download(key + Tombstones.FILE, local.resolve(Tombstones.FILE));
      Tombstones.read(local, (collection, id) -> records.putIfAbsent(collection, 0L));
    }
    if (sqlite) {
      store.blobs.download(key + DeltaReader.SQLITE_FILE, local.resolve(DeltaReader.SQLITE_FILE));
      try (DeltaReader reader = DeltaReader.open(local)) {
        for (CollectionInfo c : reader.collections()) {
          records.merge(c.key().name(), reader.estimateRecords(c), Long::sum);
        }
      }
    }
    return new Planner.DeltaCensus(key, records);
  }
}
