package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.files.FileTrees;
import com.chromacompactor.merge.DeltaNotReadyException;
import com.chromacompactor.merge.DeltaVersion;
import com.chromacompactor.merge.Tombstones;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.CompactionRequest;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.PlanInput;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.StorageKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/**
 * Plan: finds the lineage's pending deltas, tells the complete ones from those still uploading
 * ({@link DeltaIntake}), reads each complete one's record count per collection from its sqlite file
 * alone, cuts chunks ({@link Planner}) in write order (sequence, then key), claims the batch, and
 * writes the plan and the batch record to the bucket. Returns only the plan's key and figures,
 * whatever the size of the batch, with how many deltas wait and for how long.
 *
 * <p>The batch id is a hash of the published snapshot and the pending deltas (keys, versions,
 * releases), so two triggers that see the same bucket plan the same batch; the first execution to
 * claim it ({@code plans/<batch>/claim.json}, a conditional write: a {@link Claim}) runs it, and
 * the other finds nothing to do until the claim is lost: its lease lapsed, or Step Functions says
 * its execution ended. A claimed batch that turns out to have nothing to merge (every delta
 * quarantined or still uploading) gives its claim back, so that a later run looks again.
 */
final class PlanStep implements ActivityHandler {
  private final BlobStore bucket;
  private final ChunkSizes sizes;
  private final Quarantine.Policy policy;
  private final IntakeRules rules;
  private final Claim.Terms terms;
  private final Clock clock;

  PlanStep(
      BlobStore bucket,
      ChunkSizes sizes,
      Quarantine.Policy policy,
      IntakeRules rules,
      Claim.Terms terms,
      Clock clock) {
    this.bucket = bucket;
    this.sizes = sizes;
    this.policy = policy;
    this.rules = rules;
    this.terms = terms;
    this.clock = clock;
  }

  /**
   * The pending deltas of one Plan, sorted: complete ones in write order, the waiting ones, the bad
   * ones.
   */
  private record Survey(
      List<DeltaIntake.Ready> ready,
      List<DeltaIntake.Waiting> waiting,
      List<DeltaIntake.Refused> refused,
      Map<String, Instant> released) {}

  @Override
  public String handle(String inputJson, TaskContext context) throws Exception {
    PlanInput input = ContractJson.input(inputJson, PlanInput.class);
    ContractJson.require(
        input.executionName() != null
            && !input.executionName().isBlank()
            && input.executionName().length() <= 80,
        "executionName must be 1-80 characters, got " + input.executionName());
    CompactionRequest request =
        input.request() == null ? new CompactionRequest(null, null) : input.request();
    Lineage lineage = request.lineageOrNone();
    BatchStore store = new BatchStore(bucket, lineage);
    Instant now = clock.instant();
    Survey survey = survey(store, request, now);
    int waiting = survey.waiting().size();
    long oldest =
        survey.waiting().stream()
            .mapToLong(w -> Duration.between(w.firstSeen(), now).toSeconds())
            .max()
            .orElse(0);
    reportWaiting(context, survey.waiting(), oldest);
    if (survey.ready().isEmpty() && survey.refused().isEmpty()) {
      context.progress(
          "no pending deltas" + (waiting == 0 ? "" : " ready (" + waiting + " waiting)"));
      return output(new PlanOutput("none", store.planKey("none"), 0, 0, lineage, waiting, oldest));
    }
    Optional<OutputManifest.Base> base = store.latest();
    DeltaVersion highWater = null;
    if (base.isPresent()) {
      highWater = store.manifest(base.get().prefix()).map(OutputManifest::highWater).orElse(null);
    }
    String batchId = batchId(base, survey);
    String planKey = store.planKey(batchId);
    if (!claim(store, batchId, input, context)) {
      return output(new PlanOutput(batchId, planKey, 0, 0, lineage, waiting, oldest));
    }
    int quarantined = 0;
    for (DeltaIntake.Refused r : survey.refused()) {
      quarantine(store, batchId, r.key(), r.refusal(), context);
      quarantined++;
    }
    DeltaIntake intake = new DeltaIntake(store.blobs, rules, now);
    List<Planner.DeltaCensus> census = new ArrayList<>();
    List<BatchRecord.PlannedDelta> planned = new ArrayList<>();
    for (int i = 0; i < survey.ready().size(); i++) {
      DeltaIntake.Ready delta = survey.ready().get(i);
      context.checkCancelled();
      context.progress(
          "census "
              + (i + 1)
              + "/"
              + survey.ready().size()
              + ": "
              + delta.key()
              + " (sequence "
              + delta.version().sequence()
              + ")");
      try {
        census.add(census(store, delta, context.workDir()));
        planned.add(
            new BatchRecord.PlannedDelta(
                delta.key(),
                delta.version().sequence(),
                delta.firstSeen(),
                highWater != null && delta.version().compareTo(highWater) <= 0
                    ? BatchRecord.Arrival.LATE
                    : BatchRecord.Arrival.IN_ORDER));
      } catch (CorruptDeltaException e) {
        quarantine(store, batchId, delta.key(), e, context);
        quarantined++;
      } catch (DeltaNotReadyException e) {
        DeltaIntake.Verdict v = intake.incomplete(delta.key(), delta.firstSeen(), e.detail());
        if (v instanceof DeltaIntake.Refused r) {
          quarantine(store, batchId, delta.key(), r.refusal(), context);
          quarantined++;
        } else {
          context.progress("waiting: " + delta.key() + ": " + e.detail());
          waiting++;
          oldest = Math.max(oldest, Duration.between(delta.firstSeen(), now).toSeconds());
        }
      }
    }
    context
        .metrics()
        .batch(batchId)
        .put(MetricNames.DELTAS_QUARANTINED, quarantined, StandardUnit.COUNT);
    List<PlannedChunk> chunks = Planner.plan(census, sizes);
    if (chunks.isEmpty()) {
      // Nothing to merge: give the claim back, so that the next run looks at these deltas again.
      store.blobs.delete(List.of(Claim.key(batchId)));
      context.progress(
          "batch "
              + batchId
              + ": nothing to merge ("
              + quarantined
              + " quarantined, "
              + waiting
              + " waiting)");
      return output(new PlanOutput(batchId, planKey, 0, 0, lineage, waiting, oldest));
    }
    store.blobs.put(
        BatchStore.batchRecordKey(batchId),
        ContractJson.bytes(
            new BatchRecord(
                batchId, base.orElse(new OutputManifest.Base(null, null)), highWater, planned)));
    store.blobs.put(StorageLayout.planKey(batchId), ContractJson.bytes(chunks));
    long total = Planner.totalEmbeddings(chunks);
    long late = planned.stream().filter(d -> d.arrival() == BatchRecord.Arrival.LATE).count();
    context.progress(
        "batch "
            + batchId
            + ": "
            + planned.size()
            + " deltas planned ("
            + late
            + " late) holding "
            + total
            + " records, "
            + chunks.size()
            + " chunks; "
            + quarantined
            + " quarantined, "
            + waiting
            + " waiting");
    return output(new PlanOutput(batchId, planKey, chunks.size(), total, lineage, waiting, oldest));
  }

  private static String output(PlanOutput out) {
    return ContractJson.output(out);
  }

  /** Waiting deltas, as progress lines and as the metrics that the alarm on the oldest watches. */
  private static void reportWaiting(
      TaskContext context, List<DeltaIntake.Waiting> waiting, long oldestSeconds) {
    for (DeltaIntake.Waiting w : waiting) {
      context.progress("waiting: " + w.key() + ": " + w.reason());
    }
    context.metrics().put(MetricNames.WAITING_DELTAS, waiting.size(), StandardUnit.COUNT);
    context
        .metrics()
        .put(MetricNames.OLDEST_WAITING_DELTA_SECONDS, oldestSeconds, StandardUnit.SECONDS);
  }

  private void quarantine(
      BatchStore store,
      String batchId,
      String key,
      CorruptDeltaException refusal,
      TaskContext context)
      throws IOException {
    if (policy == Quarantine.Policy.FAIL) {
      throw refusal;
    }
    Quarantine.record(
        store, batchId, key, refusal.problem(), refusal.detail(), QuarantineStep.PLAN);
    context.progress("quarantined " + key + ": " + refusal.problem() + ": " + refusal.detail());
  }

  /** Lists the candidates once and judges each one that is not consumed yet. */
  private Survey survey(BatchStore store, CompactionRequest request, Instant now)
      throws IOException, TaskFailure {
    String prefix = request.prefix() == null ? StorageLayout.DELTAS_PREFIX : request.prefix();
    if (request.deltaKeys() != null) {
      Set<String> seen = new HashSet<>();
      for (String key : request.deltaKeys()) {
        try {
          StorageKeys.requireFolderUnder(StorageLayout.DELTAS_PREFIX, key);
        } catch (IllegalArgumentException e) {
          throw new TaskFailure(ErrorNames.INVALID_INPUT, "deltaKeys: " + e.getMessage(), e);
        }
        ContractJson.require(seen.add(key), "deltaKeys: " + key + " is listed twice");
      }
    } else if (!prefix.equals(StorageLayout.DELTAS_PREFIX)) {
      try {
        StorageKeys.requireFolderUnder(StorageLayout.DELTAS_PREFIX, prefix);
      } catch (IllegalArgumentException e) {
        throw new TaskFailure(ErrorNames.INVALID_INPUT, "prefix: " + e.getMessage(), e);
      }
    }
    // The processed markers before the deltas: the garbage collection deletes a consumed delta's
    // DONE marker after
    // all its files, so a delta listed below is either still marked consumed here, or was gone
    // whole before the
    // listing. Never taken again half deleted.
    BatchStore.Ledger ledger = store.ledger();
    Map<String, List<BlobStore.Listed>> folders = new LinkedHashMap<>();
    if (request.deltaKeys() != null) {
      for (String key : request.deltaKeys()) {
        folders.put(key, store.blobs.list(key));
      }
    } else {
      // One listing for every folder: a delta is the immediate sub-folder of the prefix that holds
      // the object.
      for (BlobStore.Listed object : store.blobs.list(prefix)) {
        int slash = object.key().indexOf('/', prefix.length());
        if (slash > prefix.length()) {
          String folder = object.key().substring(0, slash + 1);
          if (!StorageKeys.folderName(folder).startsWith(".")) {
            folders.computeIfAbsent(folder, k -> new ArrayList<>()).add(object);
          }
        }
      }
    }
    Set<String> consumed = new HashSet<>(ledger.consumed());
    // Deltas of the published snapshot count as consumed even if its Cleanup never ran.
    Optional<OutputManifest.Base> latest = store.latest();
    if (latest.isPresent()) {
      store.manifest(latest.get().prefix()).ifPresent(m -> consumed.addAll(m.deltaKeys()));
    }
    DeltaIntake intake = new DeltaIntake(store.blobs, rules, now);
    List<DeltaIntake.Ready> ready = new ArrayList<>();
    List<DeltaIntake.Waiting> waiting = new ArrayList<>();
    List<DeltaIntake.Refused> refused = new ArrayList<>();
    for (Map.Entry<String, List<BlobStore.Listed>> folder : new TreeMap<>(folders).entrySet()) {
      if (consumed.contains(folder.getKey())) {
        continue;
      }
      DeltaIntake.Verdict verdict = intake.judge(folder.getKey(), folder.getValue());
      if (verdict instanceof DeltaIntake.Ready r) {
        ready.add(r);
      } else if (verdict instanceof DeltaIntake.Waiting w) {
        waiting.add(w);
      } else {
        refused.add((DeltaIntake.Refused) verdict);
      }
    }
    ready.sort(Comparator.comparing(DeltaIntake.Ready::version)); // write order: sequence, then key
    return new Survey(ready, waiting, refused, ledger.released());
  }

  /**
   * The published snapshot and every pending delta with its version and newest upload, and its
   * release time if it was released from quarantine: a delta replaced or released after a batch
   * gives a new batch.
   */
  static String batchId(Optional<OutputManifest.Base> base, Survey survey) {
    List<String> lines = new ArrayList<>();
    lines.add("base " + base.map(OutputManifest.Base::prefix).orElse("none"));
    for (DeltaIntake.Ready r : survey.ready()) {
      lines.add(
          r.key()
              + " "
              + r.version().sequence()
              + " "
              + r.marker().isPresent()
              + released(survey, r.key()));
    }
    for (DeltaIntake.Refused r : survey.refused()) {
      lines.add(r.key() + " refused " + r.refusal().problem() + released(survey, r.key()));
    }
    return batchIdOf(lines);
  }

  private static String released(Survey survey, String key) {
    Instant at = survey.released().get(key);
    return at == null ? "" : " released " + at;
  }

  static String batchIdOf(List<String> lines) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
      return "b-" + HexFormat.of().formatHex(md.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Claims the batch for this execution: a new claim if there is none, this execution's own (Plan
   * retried), or one whose holder lost it (its lease lapsed, or Step Functions says its execution
   * ended), replaced by a write conditional on the very claim judged lost. Of two Plans that judge
   * the same claim lost, one takes it.
   */
  private boolean claim(BatchStore store, String batchId, PlanInput input, TaskContext context)
      throws IOException {
    String key = Claim.key(batchId);
    String executionName = input.executionName();
    Claim mine = Claim.of(executionName, input.executionArn(), clock.instant(), terms.lease());
    if (store.blobs.putIfAbsent(key, mine.bytes())) {
      return true;
    }
    Optional<BlobStore.Blob> existing = store.blobs.get(key);
    if (existing.isEmpty()) {
      // given back between our write and our read: claim it now, or lose to whoever did
      return store.blobs.putIfAbsent(key, mine.bytes()) || claimedBy(store, key, executionName);
    }
    Claim held = Claim.parse(existing.get().body());
    if (executionName.equals(held.executionName())) {
      return true; // this execution's Plan, retried (or its write's answer lost)
    }
    Optional<String> lost = lost(held);
    if (lost.isPresent()) {
      if (store.blobs.putIfMatch(key, mine.bytes(), existing.get().etag())) {
        context.progress("took over the claim of " + held.describe() + ": " + lost.get());
        return true;
      }
      if (claimedBy(store, key, executionName)) {
        return true; // our takeover's answer was lost, and its retry met our own claim
      }
    }
    context.progress(
        "batch " + batchId + " is claimed by execution " + held.describe() + ": nothing to do");
    return false;
  }

  /** Why the holder of a claim has lost it, if it has. */
  private Optional<String> lost(Claim held) {
    if (held.expired(clock.instant())) {
      return Optional.of("its lease expired at " + held.expiry());
    }
    if (held.executionArn() != null) {
      ClaimHolders.Holder holder = terms.holders().of(held.executionArn());
      if (holder.standing() == ClaimHolders.Standing.ENDED) {
        return Optional.of("its execution has ended: " + holder.detail());
      }
    }
    return Optional.empty();
  }

  private static boolean claimedBy(BatchStore store, String key, String executionName)
      throws IOException {
    Optional<BlobStore.Blob> now = store.blobs.get(key);
    return now.isPresent() && executionName.equals(Claim.parse(now.get().body()).executionName());
  }

  /**
   * Records per collection of one delta, from its sqlite file (and tombstones) only, checked
   * against its marker.
   */
  private Planner.DeltaCensus census(BatchStore store, DeltaIntake.Ready delta, Path workDir)
      throws IOException {
    Path local = Files.createTempDirectory(workDir, "census-");
    try {
      return censusOf(store, delta, local);
    } catch (CorruptDeltaException e) {
      throw e.relocated(delta.key());
    } finally {
      FileTrees.delete(local);
    }
  }

  private Planner.DeltaCensus censusOf(BatchStore store, DeltaIntake.Ready delta, Path local)
      throws IOException {
    String key = delta.key();
    Map<String, Long> records = new TreeMap<>();
    List<String> objects = store.blobs.listKeys(key);
    boolean tombstones = objects.contains(key + Tombstones.FILE);
    boolean sqlite = objects.contains(key + DeltaReader.SQLITE_FILE);
    if (!sqlite && !tombstones) {
      throw new CorruptDeltaException(
          local,
          DeltaProblem.NOT_CHROMA,
          "no " + DeltaReader.SQLITE_FILE + " (and no " + Tombstones.FILE + ") under the key");
    }
    if (tombstones) {
      fetch(store, delta, Tombstones.FILE, local);
      Tombstones.read(local, (collection, id) -> records.putIfAbsent(collection, 0L));
    }
    if (sqlite) {
      fetch(store, delta, DeltaReader.SQLITE_FILE, local);
      try (DeltaReader reader = DeltaReader.open(local)) {
        for (CollectionInfo c : reader.collections()) {
          records.merge(c.key().name(), reader.estimateRecords(c), Long::sum);
        }
      }
    }
    return new Planner.DeltaCensus(key, records);
  }

  /**
   * Downloads one file of the delta, and checks it against the marker's size and SHA-256 when it
   * lists it.
   */
  private static void fetch(BatchStore store, DeltaIntake.Ready delta, String file, Path local)
      throws IOException {
    Path target = local.resolve(file);
    store.blobs.download(delta.key() + file, target);
    List<String> problems = MarkedFiles.check(delta.marker(), local, List.of(file));
    if (!problems.isEmpty()) {
      throw new DeltaNotReadyException(delta.key(), DeltaIntake.summary(problems));
    }
  }
}
