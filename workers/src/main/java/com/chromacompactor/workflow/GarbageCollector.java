package com.chromacompactor.workflow;

import com.chromacompactor.activity.TaskCancelledException;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.StorageKeys;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Garbage collection of one lineage: what the {@link RetentionRules} no longer keep, found by
 * {@link #survey()} (reads only) and deleted by {@link #delete} in an order that a crash at any
 * request leaves recognisable.
 *
 * <p>It never deletes: the snapshot {@code latest} names, nor the ones it was published over up to
 * {@link RetentionRules#keepSnapshots()} in all (so the one before it, where that is 2 or more); a
 * snapshot younger than the minimum age; the snapshot, the base and the intermediates of a batch
 * that is running (claimed, not finished, its claim not stale); a delta that is not consumed
 * (pending, deferred, released), or is quarantined, nor its processed markers; a quarantine record;
 * {@code latest}. It deletes:
 *
 * <ul>
 *   <li>complete snapshots outside that set: published ones beyond the newest N, and ones never
 *       published (a batch that lost its publish or failed, once its claim is stale), once older
 *       than the minimum age;
 *   <li>consumed deltas ({@code DONE}, not quarantined) with their processed markers, once the
 *       retention has passed since they were consumed (and since their last object was written);
 *   <li>plan folders of finished batches ({@code processed.json}) after the retention, and of stale
 *       claims (the batch cannot be running: its {@link Claim}'s lease expired, unrenewed);
 *   <li>leftovers of crashed runs older than {@link #LEFTOVER_AGE}: a snapshot folder without a
 *       manifest, an intermediate, a plan folder without a claim, whose batch is not running; at
 *       once, a snapshot folder without a manifest whose batch finished (a deletion that stopped
 *       half way: a finished batch's snapshot had its manifest); processed markers of a delta that
 *       is gone, after the retention.
 * </ul>
 *
 * <p><b>Never racing Publish.</b> The survey lists {@code snapshots/} first, then the claims, then
 * reads {@code latest}. A snapshot becomes {@code latest} only by its own batch's Publish, while
 * that batch is running. If the batch was running when the claims were read, its snapshot is
 * protected; if it had finished, its Publish was done, so the later read of {@code latest} names it
 * (or a newer one, published over it). A snapshot written after the listing is not listed, and only
 * listed objects are deleted.
 *
 * <p><b>Crash-safe order.</b> Deletes go in waves across all garbage, each wave finished before the
 * next: a snapshot's {@code manifest.json} first (a half-deleted snapshot has no manifest:
 * incomplete, so Publish, FinalMerge and pull refuse it, and the next collection removes it as a
 * leftover); a delta's commit marker first, then its files, then its {@code RELEASED} and {@code
 * DONE} markers (a half-deleted delta stays consumed, never pending again); a plan's {@code
 * claim.json} and then {@code processed.json} last. Every request is a DELETE of listed keys (one
 * already gone counts as deleted), so a collection retried after any of them converges.
 */
public final class GarbageCollector {
  /** A folder that a crashed run left behind is deleted once its newest object is this old. */
  public static final Duration LEFTOVER_AGE = Duration.ofDays(1);

  private static final String DONE = "DONE";
  private static final String RELEASED = "RELEASED";
  private static final String CLAIM = "claim.json";
  private static final String PROCESSED = "processed.json";

  /** Keys per delete request between two checkpoints (S3's DeleteObjects takes at most 1,000). */
  private static final int REQUEST = 1000;

  /** What a piece of garbage is. */
  public enum Kind {
    SNAPSHOT("snapshot"),
    DELTA("delta"),
    PLAN("plan"),
    LEFTOVER("leftover");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /**
   * One thing to delete.
   *
   * @param prefix the folder (or, for processed markers of a delta that is gone, the delta's key)
   * @param waves its objects in deletion order: wave {@code i} of every piece goes before wave
   *     {@code i + 1} of any
   * @param reason why the rules let it go, for a person
   */
  public record Garbage(
      Kind kind, String prefix, List<List<BlobStore.Listed>> waves, String reason) {
    public Garbage {
      waves = waves.stream().filter(w -> !w.isEmpty()).map(List::copyOf).toList();
    }

    public int objects() {
      return waves.stream().mapToInt(List::size).sum();
    }

    public long bytes() {
      return waves.stream().flatMap(List::stream).mapToLong(BlobStore.Listed::size).sum();
    }
  }

  /** A snapshot folder that stays, and why. */
  public record Kept(String prefix, int objects, long bytes, String reason) {}

  /**
   * What one survey found.
   *
   * @param garbage what the rules delete, snapshots first
   * @param kept every snapshot folder that stays, with its reason
   * @param snapshotBytes bytes under {@code snapshots/} before any deletion
   * @param deltaBytes bytes under {@code deltas/} before any deletion
   * @param deltas delta folders
   * @param pendingDeltas of them, neither consumed nor quarantined
   * @param quarantinedDeltas of them, quarantined
   * @param oldestPending how long ago the oldest pending delta's first object arrived (zero if
   *     none)
   * @param notes anything a person should know (a claim that did not parse, a batch being planned)
   */
  public record Survey(
      Instant at,
      List<Garbage> garbage,
      List<Kept> kept,
      long snapshotBytes,
      long deltaBytes,
      int deltas,
      int pendingDeltas,
      int quarantinedDeltas,
      Duration oldestPending,
      List<String> notes) {
    public Survey {
      garbage = List.copyOf(garbage);
      kept = List.copyOf(kept);
      notes = List.copyOf(notes);
    }

    public int count(Kind kind) {
      return (int) garbage.stream().filter(g -> g.kind() == kind).count();
    }

    public long objects() {
      return garbage.stream().mapToLong(Garbage::objects).sum();
    }

    public long bytes() {
      return garbage.stream().mapToLong(Garbage::bytes).sum();
    }

    /** Bytes under {@code snapshots/} once the garbage is deleted. */
    public long snapshotBytesAfter() {
      return snapshotBytes - bytesUnder(StorageLayout.SNAPSHOTS_PREFIX);
    }

    /** Bytes under {@code deltas/} once the garbage is deleted. */
    public long deltaBytesAfter() {
      return deltaBytes - bytesUnder(StorageLayout.DELTAS_PREFIX);
    }

    private long bytesUnder(String prefix) {
      return garbage.stream()
          .flatMap(g -> g.waves().stream())
          .flatMap(List::stream)
          .filter(o -> o.key().startsWith(prefix))
          .mapToLong(BlobStore.Listed::size)
          .sum();
    }
  }

  /** Called between delete requests: progress, and the point where a cancelled task stops. */
  @FunctionalInterface
  public interface Checkpoint {
    Checkpoint NONE = (done, total) -> {};

    void deleted(long objectsSoFar, long objectsInAll) throws TaskCancelledException;
  }

  private final BlobStore bucket;
  private final Lineage lineage;
  private final RetentionRules rules;
  private final Clock clock;

  /**
   * @param bucket the whole bucket (the lineage's root is applied here)
   * @param clock what "now" is for every age: tests set it instead of waiting days
   */
  public GarbageCollector(BlobStore bucket, Lineage lineage, RetentionRules rules, Clock clock) {
    this.bucket = bucket;
    this.lineage = lineage;
    this.rules = rules;
    this.clock = clock;
  }

  // ---------------------------------------------------------------- survey

  /** A batch's plan folder and what the survey made of it. */
  private record Batch(
      String batchId,
      List<BlobStore.Listed> objects,
      State state,
      String detail,
      Optional<String> base) {}

  private enum State {
    /** {@code processed.json}: Cleanup ran. */
    FINISHED,
    /** Claimed, not finished, the claim younger than its lifetime: the batch may be running. */
    RUNNING,
    /** Claimed long ago and never finished: it cannot be running. */
    STALE,
    /**
     * Neither claim nor processed manifest: what a crash between two deletes, or a lost claim,
     * leaves.
     */
    UNCLAIMED
  }

  /** Finds what the rules delete now. Reads only. */
  public Survey survey() throws IOException {
    Instant now = clock.instant();
    BatchStore store = new BatchStore(bucket, lineage);
    // The order of these reads is what keeps the collection from racing Publish (see the class
    // comment).
    Map<String, List<BlobStore.Listed>> snapshotFolders =
        folders(store.blobs.list(StorageLayout.SNAPSHOTS_PREFIX), StorageLayout.SNAPSHOTS_PREFIX);
    List<BlobStore.Listed> planObjects = store.blobs.list(StorageLayout.PLANS_PREFIX);
    List<String> notes = new ArrayList<>();
    Map<String, Batch> batches = batches(store, planObjects, now, notes);
    Optional<OutputManifest.Base> latest = store.latest();

    List<Garbage> garbage = new ArrayList<>();
    List<Kept> kept = new ArrayList<>();
    Map<String, String> running = new HashMap<>();
    Map<String, String> bases = new HashMap<>();
    Set<String> finished = new HashSet<>();
    for (Batch b : batches.values()) {
      if (b.state() == State.FINISHED) {
        finished.add(b.batchId());
      }
      if (b.state() == State.RUNNING) {
        running.put(b.batchId(), b.detail());
        b.base().ifPresent(base -> bases.put(base, b.batchId()));
      }
    }
    List<String> published = new ArrayList<>();
    Optional<OutputManifest> latestManifest = publishedChain(store, latest, published);
    snapshots(snapshotFolders, published, running, bases, finished, now, garbage, kept);
    intermediates(store, running, now, garbage);
    plans(batches.values(), now, garbage);
    DeltaCensus census = deltas(store, planObjects, latestManifest, now, garbage);

    long snapshotBytes =
        snapshotFolders.values().stream()
            .flatMap(List::stream)
            .mapToLong(BlobStore.Listed::size)
            .sum();
    garbage.sort(Comparator.comparing(Garbage::kind).thenComparing(Garbage::prefix));
    return new Survey(
        now,
        garbage,
        kept,
        snapshotBytes,
        census.bytes(),
        census.folders(),
        census.pending(),
        census.quarantined(),
        census.oldestPending(),
        notes);
  }

  /**
   * The published snapshots, newest first: {@code latest}, then each one's base as its manifest
   * records it (the snapshot it was published over), until a manifest is missing. Returns {@code
   * latest}'s manifest.
   */
  private static Optional<OutputManifest> publishedChain(
      BatchStore store, Optional<OutputManifest.Base> latest, List<String> published)
      throws IOException {
    Optional<OutputManifest> first = Optional.empty();
    String prefix = latest.map(OutputManifest.Base::prefix).orElse(null);
    Set<String> seen = new HashSet<>();
    while (prefix != null && seen.add(prefix)) {
      published.add(prefix);
      Optional<OutputManifest> m = store.manifest(prefix);
      if (m.isEmpty()) {
        break;
      }
      if (first.isEmpty()) {
        first = m;
      }
      prefix = m.get().base() == null ? null : m.get().base().prefix();
    }
    return first;
  }

  private void snapshots(
      Map<String, List<BlobStore.Listed>> folders,
      List<String> published,
      Map<String, String> running,
      Map<String, String> bases,
      Set<String> finished,
      Instant now,
      List<Garbage> garbage,
      List<Kept> kept) {
    for (Map.Entry<String, List<BlobStore.Listed>> e : folders.entrySet()) {
      String prefix = e.getKey();
      List<BlobStore.Listed> objects = e.getValue();
      String batch = StorageKeys.folderName(prefix);
      Duration age = Duration.between(newest(objects), now);
      Optional<BlobStore.Listed> manifest =
          objects.stream().filter(o -> o.key().equals(prefix + OutputManifest.FILE)).findFirst();
      int rank = published.indexOf(prefix);
      String keep = null;
      if (rank == 0) {
        keep = "latest";
      } else if (rank > 0 && rank < rules.keepSnapshots()) {
        keep =
            "published before latest ("
                + ordinal(rank + 1)
                + " newest of "
                + rules.keepSnapshots()
                + " kept)";
      } else if (running.containsKey(batch)) {
        keep = "written by batch " + batch + ", which is running (" + running.get(batch) + ")";
      } else if (bases.containsKey(prefix)) {
        keep =
            "the base of batch "
                + bases.get(prefix)
                + ", which is running ("
                + running.get(bases.get(prefix))
                + ")";
      } else if (manifest.isPresent() && age.compareTo(rules.minSnapshotAge()) < 0) {
        keep = "younger than " + age(rules.minSnapshotAge()) + " (" + age(age) + " old)";
      } else if (manifest.isEmpty()
          && age.compareTo(LEFTOVER_AGE) < 0
          && !finished.contains(batch)) {
        keep =
            "incomplete (no manifest), last written "
                + age(age)
                + " ago: a leftover only after "
                + age(LEFTOVER_AGE);
      }
      if (keep != null) {
        kept.add(new Kept(prefix, objects.size(), bytes(objects), keep));
      } else if (manifest.isEmpty()) {
        garbage.add(
            new Garbage(
                Kind.LEFTOVER,
                prefix,
                List.of(objects),
                finished.contains(batch)
                    ? "a snapshot whose deletion stopped half way (its batch finished, so it had a manifest)"
                    : "a snapshot folder without a manifest, left by a crashed run; last written "
                        + age(age)
                        + " ago"));
      } else {
        List<BlobStore.Listed> rest = new ArrayList<>(objects);
        rest.remove(manifest.get());
        String why =
            rank >= 0
                ? "published, the "
                    + ordinal(rank + 1)
                    + " newest, beyond the "
                    + rules.keepSnapshots()
                    + " kept"
                : "not published, or published before a snapshot already collected";
        garbage.add(
            new Garbage(
                Kind.SNAPSHOT,
                prefix,
                List.of(List.of(manifest.get()), rest),
                why + "; " + age(age) + " old"));
      }
    }
  }

  private void intermediates(
      BatchStore store, Map<String, String> running, Instant now, List<Garbage> garbage)
      throws IOException {
    Map<String, List<BlobStore.Listed>> folders =
        folders(
            store.blobs.list(StorageLayout.INTERMEDIATE_PREFIX), StorageLayout.INTERMEDIATE_PREFIX);
    for (Map.Entry<String, List<BlobStore.Listed>> e : folders.entrySet()) {
      Duration age = Duration.between(newest(e.getValue()), now);
      if (!running.containsKey(StorageKeys.folderName(e.getKey()))
          && age.compareTo(LEFTOVER_AGE) >= 0) {
        garbage.add(
            new Garbage(
                Kind.LEFTOVER,
                e.getKey(),
                List.of(e.getValue()),
                "intermediates of a batch that"
                    + " did not finish; last written "
                    + age(age)
                    + " ago"));
      }
    }
  }

  /**
   * The plan folders under {@code plans/} (the processed markers left out), each with its state.
   */
  private static Map<String, Batch> batches(
      BatchStore store, List<BlobStore.Listed> planObjects, Instant now, List<String> notes)
      throws IOException {
    Map<String, List<BlobStore.Listed>> folders = folders(planObjects, StorageLayout.PLANS_PREFIX);
    folders.remove(BatchStore.PROCESSED_PREFIX);
    Map<String, Batch> out = new TreeMap<>();
    for (Map.Entry<String, List<BlobStore.Listed>> e : folders.entrySet()) {
      String prefix = e.getKey();
      String batchId = StorageKeys.folderName(prefix);
      List<BlobStore.Listed> objects = e.getValue();
      boolean finished = objects.stream().anyMatch(o -> o.key().equals(prefix + PROCESSED));
      boolean claimed = objects.stream().anyMatch(o -> o.key().equals(prefix + CLAIM));
      if (finished) {
        out.put(batchId, new Batch(batchId, objects, State.FINISHED, "finished", Optional.empty()));
        continue;
      }
      if (!claimed) {
        out.put(
            batchId, new Batch(batchId, objects, State.UNCLAIMED, "no claim", Optional.empty()));
        continue;
      }
      Optional<BlobStore.Blob> body = store.blobs.get(prefix + CLAIM);
      if (body.isEmpty()) {
        // given back (or deleted) since the listing: the batch holds nothing now
        out.put(
            batchId,
            new Batch(batchId, objects, State.UNCLAIMED, "claim given back", Optional.empty()));
        continue;
      }
      Claim claim;
      try {
        claim = Claim.parse(body.get().body());
      } catch (IOException | RuntimeException unreadable) {
        // A claim that does not parse is kept running: deleting what a live batch needs is the one
        // thing not to do.
        notes.add(
            prefix
                + CLAIM
                + " does not parse ("
                + unreadable.getMessage()
                + "): its batch counts as running");
        out.put(
            batchId,
            new Batch(batchId, objects, State.RUNNING, "an unreadable claim", Optional.empty()));
        continue;
      }
      String detail = "claimed by " + claim.describe();
      if (claim.expired(now)) {
        out.put(batchId, new Batch(batchId, objects, State.STALE, detail, Optional.empty()));
        continue;
      }
      Optional<String> base = Optional.empty();
      if (objects.stream().anyMatch(o -> o.key().equals(BatchStore.batchRecordKey(batchId)))) {
        try {
          base = store.readBatchRecord(batchId).publishedBase().map(OutputManifest.Base::prefix);
        } catch (TaskFailure gone) {
          notes.add("batch " + batchId + ": " + gone.getMessage());
        }
      } else {
        // Plan is between its claim and its batch record: its base was latest a moment ago, which
        // stays protected.
        notes.add("batch " + batchId + " is being planned (" + detail + ")");
      }
      out.put(batchId, new Batch(batchId, objects, State.RUNNING, detail, base));
    }
    return out;
  }

  private void plans(Iterable<Batch> batches, Instant now, List<Garbage> garbage) {
    for (Batch b : batches) {
      String prefix = StorageLayout.PLANS_PREFIX + b.batchId() + "/";
      List<BlobStore.Listed> claim =
          b.objects().stream().filter(o -> o.key().equals(prefix + CLAIM)).toList();
      List<BlobStore.Listed> processed =
          b.objects().stream().filter(o -> o.key().equals(prefix + PROCESSED)).toList();
      List<BlobStore.Listed> rest = new ArrayList<>(b.objects());
      rest.removeAll(claim);
      rest.removeAll(processed);
      switch (b.state()) {
        case FINISHED -> {
          Duration age = Duration.between(processed.get(0).lastModified(), now);
          if (age.compareTo(rules.deltaRetention()) >= 0) {
            garbage.add(
                new Garbage(
                    Kind.PLAN,
                    prefix,
                    List.of(rest, claim, processed),
                    "finished " + age(age) + " ago (kept " + age(rules.deltaRetention()) + ")"));
          }
        }
        case STALE ->
            garbage.add(
                new Garbage(
                    Kind.PLAN,
                    prefix,
                    List.of(rest, claim),
                    "a stale claim: "
                        + b.detail()
                        + ", never finished; its lease expired, it cannot be running"));
        case UNCLAIMED -> {
          Duration age = Duration.between(newest(b.objects()), now);
          if (age.compareTo(LEFTOVER_AGE) >= 0) {
            garbage.add(
                new Garbage(
                    Kind.LEFTOVER,
                    prefix,
                    List.of(rest),
                    "a plan folder without a claim or a"
                        + " processed manifest; last written "
                        + age(age)
                        + " ago"));
          }
        }
        case RUNNING -> {
          // its plan is in use
        }
      }
    }
  }

  private record DeltaCensus(
      int folders, long bytes, int pending, int quarantined, Duration oldestPending) {}

  private DeltaCensus deltas(
      BatchStore store,
      List<BlobStore.Listed> planObjects,
      Optional<OutputManifest> latestManifest,
      Instant now,
      List<Garbage> garbage)
      throws IOException {
    Map<String, BlobStore.Listed> done = new HashMap<>();
    Map<String, BlobStore.Listed> released = new HashMap<>();
    for (BlobStore.Listed o : planObjects) {
      String key = o.key();
      if (!key.startsWith(BatchStore.PROCESSED_PREFIX)) {
        continue;
      }
      if (key.endsWith("/" + DONE)) {
        done.put(deltaKeyOf(key, DONE), o);
      } else if (key.endsWith("/" + RELEASED)) {
        released.put(deltaKeyOf(key, RELEASED), o);
      }
    }
    Set<String> quarantined = new HashSet<>();
    for (Quarantine.Record r : Quarantine.list(bucket, lineage)) {
      if (!r.released()) {
        quarantined.add(r.deltaKey());
      }
    }
    Set<String> inLatest =
        new HashSet<>(latestManifest.map(OutputManifest::deltaKeys).orElse(List.of()));
    Map<String, List<BlobStore.Listed>> folders =
        folders(store.blobs.list(StorageLayout.DELTAS_PREFIX), StorageLayout.DELTAS_PREFIX);
    long bytes = 0;
    int pending = 0;
    int held = 0;
    Instant oldest = null;
    for (Map.Entry<String, List<BlobStore.Listed>> e : folders.entrySet()) {
      String key = e.getKey();
      List<BlobStore.Listed> objects = e.getValue();
      bytes += bytes(objects);
      if (quarantined.contains(key)) {
        held++;
        continue;
      }
      BlobStore.Listed consumed = done.get(key);
      if (consumed == null) {
        if (!inLatest.contains(
            key)) { // published, but Cleanup has not marked it yet: not pending either
          pending++;
          Instant first =
              objects.stream()
                  .map(BlobStore.Listed::lastModified)
                  .min(Comparator.naturalOrder())
                  .orElseThrow();
          oldest = oldest == null || first.isBefore(oldest) ? first : oldest;
        }
        continue;
      }
      Instant since =
          newest(
              List.of(
                  consumed,
                  objects.stream()
                      .max(Comparator.comparing(BlobStore.Listed::lastModified))
                      .orElseThrow()));
      Duration age = Duration.between(since, now);
      if (age.compareTo(rules.deltaRetention()) >= 0) {
        List<BlobStore.Listed> marker =
            objects.stream().filter(o -> o.key().equals(key + DeltaMarker.FILE)).toList();
        List<BlobStore.Listed> files = new ArrayList<>(objects);
        files.removeAll(marker);
        garbage.add(
            new Garbage(
                Kind.DELTA,
                key,
                List.of(marker, files, optional(released.get(key)), List.of(consumed)),
                "consumed " + age(age) + " ago (kept " + age(rules.deltaRetention()) + ")"));
      }
    }
    // Processed markers whose delta is gone (deleted by its producer, or by a collection that
    // stopped half way).
    Set<String> orphans = new TreeSet<>(done.keySet());
    orphans.addAll(released.keySet());
    orphans.removeAll(folders.keySet());
    orphans.removeAll(quarantined);
    for (String key : orphans) {
      List<BlobStore.Listed> markers = new ArrayList<>(optional(released.get(key)));
      markers.addAll(optional(done.get(key)));
      Duration age = Duration.between(newest(markers), now);
      if (age.compareTo(rules.deltaRetention()) >= 0) {
        garbage.add(
            new Garbage(
                Kind.LEFTOVER,
                key,
                List.of(optional(released.get(key)), optional(done.get(key))),
                "processed markers of a delta that is gone; written " + age(age) + " ago"));
      }
    }
    return new DeltaCensus(
        folders.size(),
        bytes,
        pending,
        held,
        oldest == null ? Duration.ZERO : Duration.between(oldest, now));
  }

  // ---------------------------------------------------------------- delete

  /**
   * Deletes what {@code survey} found, wave by wave (see the class comment). Only the objects the
   * survey listed are deleted; one that is gone already counts as deleted.
   */
  public void delete(Survey survey, Checkpoint checkpoint)
      throws IOException, TaskCancelledException {
    BlobStore blobs = new BatchStore(bucket, lineage).blobs;
    long total = survey.objects();
    long done = 0;
    int waves = survey.garbage().stream().mapToInt(g -> g.waves().size()).max().orElse(0);
    for (int w = 0; w < waves; w++) {
      int wave = w;
      List<String> keys =
          survey.garbage().stream()
              .filter(g -> g.waves().size() > wave)
              .flatMap(g -> g.waves().get(wave).stream())
              .map(BlobStore.Listed::key)
              .toList();
      for (int i = 0; i < keys.size(); i += REQUEST) {
        List<String> request = keys.subList(i, Math.min(keys.size(), i + REQUEST));
        blobs.delete(request);
        done += request.size();
        checkpoint.deleted(done, total);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Objects grouped by the folder right under {@code prefix} ({@code prefix<name>/}); hidden
   * folders left out.
   */
  private static Map<String, List<BlobStore.Listed>> folders(
      List<BlobStore.Listed> objects, String prefix) {
    Map<String, List<BlobStore.Listed>> out = new TreeMap<>();
    for (BlobStore.Listed o : objects) {
      int slash = o.key().indexOf('/', prefix.length());
      if (slash > prefix.length()) {
        String folder = o.key().substring(0, slash + 1);
        if (!StorageKeys.folderName(folder).startsWith(".")) {
          out.computeIfAbsent(folder, k -> new ArrayList<>()).add(o);
        }
      }
    }
    return out;
  }

  private static String deltaKeyOf(String markerKey, String marker) {
    return StorageLayout.DELTAS_PREFIX
        + markerKey.substring(
            BatchStore.PROCESSED_PREFIX.length(), markerKey.length() - marker.length());
  }

  private static List<BlobStore.Listed> optional(BlobStore.Listed o) {
    return o == null ? List.of() : List.of(o);
  }

  private static Instant newest(List<BlobStore.Listed> objects) {
    return objects.stream()
        .map(BlobStore.Listed::lastModified)
        .max(Comparator.naturalOrder())
        .orElseThrow();
  }

  private static long bytes(List<BlobStore.Listed> objects) {
    return objects.stream().mapToLong(BlobStore.Listed::size).sum();
  }

  private static String ordinal(int n) {
    String suffix =
        n % 100 >= 11 && n % 100 <= 13
            ? "th"
            : switch (n % 10) {
              case 1 -> "st";
              case 2 -> "nd";
              case 3 -> "rd";
              default -> "th";
            };
    return n + suffix;
  }

  /** An age for a person, in its two largest units: "8d 2h", "25h", "3m 20s", "0s". */
  static String age(Duration d) {
    long s = Math.max(0, d.toSeconds());
    long days = s / 86_400;
    long hours = s % 86_400 / 3_600;
    long minutes = s % 3_600 / 60;
    long seconds = s % 60;
    List<String> parts = new ArrayList<>();
    if (days > 0) {
      parts.add(days + "d");
    }
    if (hours > 0) {
      parts.add(hours + "h");
    }
    if (minutes > 0) {
      parts.add(minutes + "m");
    }
    if (seconds > 0 || parts.isEmpty()) {
      parts.add(seconds + "s");
    }
    return String.join(" ", parts.subList(0, Math.min(2, parts.size()))).toLowerCase(Locale.ROOT);
  }
}
