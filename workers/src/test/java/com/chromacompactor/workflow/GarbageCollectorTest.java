package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.files.FileTrees;
import com.chromacompactor.metrics.Measurement;
import com.chromacompactor.metrics.MetricDimensions;
import com.chromacompactor.metrics.RecordingSink;
import com.chromacompactor.metrics.TaskMetrics;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.CollectGarbageOutput;
import com.chromacompactor.statemachine.contract.CompactionRequest;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.PlanInput;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.HookedBucket;
import com.chromacompactor.testing.QuietTask;
import com.chromacompactor.testing.Series;
import com.chromacompactor.workflow.InProcessTask.Merged;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The retention rules on a local bucket with deltas made by real chromadb: which snapshots, deltas,
 * plans and leftovers go and which stay, the collection racing Publish, and a collection stopped
 * after every one of its deletes. Ages come from file modification times (the local bucket's upload
 * times) and from the collector's clock, never from sleeps.
 */
class GarbageCollectorTest {
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
  private static final Duration EIGHT_DAYS = Duration.ofDays(8);
  @TempDir Path tmp;

  // ---------------------------------------------------------------- snapshots

  @Test
  void fiveBatchesWithTwoKeptLeaveTheLatestAndTheOneItWasPublishedOver() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = bucket("five");
    LocalRun.Settings settings =
        LocalRun.Settings.defaults()
            .withRetention(
                new RetentionRules(2, Duration.ZERO, RetentionRules.DEFAULT_DELTA_RETENTION));
    List<String> published = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      push(bucket, series, i);
      LocalRun.Result r = run(bucket, settings, Clock.systemUTC());
      published.add(r.publish().snapshotPrefix());
      assertEquals(null, r.gcFailure());
      assertEquals(
          Set.copyOf(published.subList(Math.max(0, published.size() - 2), published.size())),
          Set.copyOf(snapshotFolders(bucket)),
          "after run " + (i + 1) + " only the newest two stay");
      assertEquals(
          i >= 2 ? 1 : 0, r.gc().snapshotsDeleted(), "one snapshot goes per run from the third on");
    }
    BatchStore store = new BatchStore(bucket);
    assertEquals(published.get(4), store.latest().orElseThrow().prefix());
    assertEquals(
        published.get(3),
        store.manifest(published.get(4)).orElseThrow().base().prefix(),
        "the one kept beside latest is the one it was published over");
    for (String kept : published.subList(3, 5)) {
      assertEquals(
          List.of(), store.manifest(kept).orElseThrow().verify(bucket.root().resolve(kept)), kept);
    }
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2, 3, 4)),
        ChromaDumps.dump(bucket.root().resolve(published.get(4))));
    // the deltas are all consumed, within their retention: every one stays
    assertEquals(5, bucket.listFolders(StorageLayout.DELTAS_PREFIX).size());
  }

  @Test
  void aSnapshotYoungerThanTheMinimumAgeStaysUntilItIsOlder() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = bucket("young");
    LocalRun.Settings settings =
        LocalRun.Settings.defaults()
            .withRetention(
                new RetentionRules(
                    1, Duration.ofHours(24), RetentionRules.DEFAULT_DELTA_RETENTION));
    for (int i = 0; i < 3; i++) {
      push(bucket, series, i);
      run(bucket, settings, Clock.systemUTC());
    }
    assertEquals(3, snapshotFolders(bucket).size(), "all younger than 24h");
    GarbageCollector.Survey tomorrow =
        new GarbageCollector(
                bucket,
                Lineage.NONE,
                settings.retention(),
                Clock.offset(Clock.systemUTC(), Duration.ofHours(25)))
            .survey();
    assertEquals(2, tomorrow.count(GarbageCollector.Kind.SNAPSHOT), tomorrow.garbage().toString());
    assertEquals(
        List.of(
            "published, the 2nd newest, beyond the 1 kept",
            "published, the 3rd newest, beyond the 1 kept"),
        tomorrow.garbage().stream()
            .map(g -> g.reason().substring(0, g.reason().indexOf(';')))
            .sorted()
            .toList());
  }

  // ---------------------------------------------------------------- deltas and plans

  @Test
  void consumedDeltasPastTheRetentionGoWithTheirMarkersAndPendingAndQuarantinedOnesStay()
      throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = bucket("deltas");
    push(bucket, series, 0);
    push(bucket, series, 1);
    commitGarbage(bucket, "bad", 2);
    LocalRun.Result first = run(bucket, LocalRun.Settings.defaults(), Clock.systemUTC());
    assertEquals(
        List.of("deltas/bad/"),
        Quarantine.list(bucket, Lineage.NONE).stream().map(Quarantine.Record::deltaKey).toList());
    // a delta still uploading: its marker lists a file that is not there yet
    Path three = series.delta(3);
    DeltaPush.Pushed pushed = DeltaPush.push(bucket, Lineage.NONE, three, "delta-03", 3, "test");
    Path hnswFile;
    try (Stream<Path> walk = Files.walk(bucket.root().resolve("deltas/delta-03"))) {
      hnswFile =
          walk.filter(Files::isRegularFile)
              .filter(
                  f ->
                      !f.getFileName().toString().equals("chroma.sqlite3")
                          && !f.getFileName().toString().equals(DeltaMarker.FILE))
              .findFirst()
              .orElseThrow();
    }
    Path aside = Files.move(hnswFile, tmp.resolve("aside-" + hnswFile.getFileName()));

    // delta-00 was consumed 8 days ago, and so was its batch; delta-01 and the bad one too, but
    // delta-01 was
    // rewritten by its producer yesterday (the retention counts from its last write), and the bad
    // one is quarantined
    age(bucket.root().resolve("deltas/delta-00"), EIGHT_DAYS);
    age(bucket.root().resolve("plans/processed/delta-00"), EIGHT_DAYS);
    age(bucket.root().resolve("deltas/delta-01"), EIGHT_DAYS);
    age(bucket.root().resolve("plans/processed/delta-01"), EIGHT_DAYS);
    age(bucket.root().resolve("deltas/delta-01/" + DeltaMarker.FILE), Duration.ofDays(1));
    age(bucket.root().resolve("deltas/bad"), EIGHT_DAYS);
    age(bucket.root().resolve("plans/processed/bad"), EIGHT_DAYS);
    age(bucket.root().resolve("plans/" + first.plan().batchId()), EIGHT_DAYS);

    GarbageCollector collector =
        new GarbageCollector(bucket, Lineage.NONE, RetentionRules.defaults(), Clock.systemUTC());
    GarbageCollector.Survey survey = collector.survey();
    assertEquals(List.of("deltas/delta-00/"), prefixes(survey, GarbageCollector.Kind.DELTA));
    assertEquals(
        List.of("plans/" + first.plan().batchId() + "/"),
        prefixes(survey, GarbageCollector.Kind.PLAN));
    assertEquals(1, survey.pendingDeltas(), "delta-03 is still uploading");
    assertEquals(1, survey.quarantinedDeltas());
    collector.delete(survey, GarbageCollector.Checkpoint.NONE);

    assertFalse(
        Files.exists(bucket.root().resolve("deltas/delta-00")), "the consumed delta is gone");
    assertFalse(
        Files.exists(bucket.root().resolve("plans/processed/delta-00")),
        "with its processed marker");
    assertFalse(
        Files.exists(bucket.root().resolve("plans/" + first.plan().batchId())),
        "the finished plan too");
    assertTrue(
        Files.exists(bucket.root().resolve("plans/processed/delta-01/DONE")),
        "rewritten yesterday: stays");
    assertTrue(
        Files.exists(bucket.root().resolve("deltas/bad/chroma.sqlite3")), "quarantined: stays");
    assertTrue(
        Files.exists(bucket.root().resolve("plans/processed/bad/DONE")), "still quarantined");
    assertEquals(1, Quarantine.list(bucket, Lineage.NONE).size(), "its record stays");
    assertTrue(
        Files.exists(bucket.root().resolve("deltas/delta-03/chroma.sqlite3")), "pending: stays");
    assertEquals(pushed.key(), "deltas/delta-03/");

    // The producer's upload completes; the next run takes delta-03 only, and the snapshot holds all
    // three.
    Files.move(aside, hnswFile);
    LocalRun.Result second = run(bucket, LocalRun.Settings.defaults(), Clock.systemUTC());
    assertEquals(
        List.of("deltas/delta-03/"),
        new BatchStore(bucket)
            .readBatchRecord(second.plan().batchId()).deltas().stream()
                .map(BatchRecord.PlannedDelta::key)
                .toList(),
        "nothing deleted is taken again");
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 3)),
        ChromaDumps.dump(bucket.root().resolve(second.publish().snapshotPrefix())));
    assertEquals(null, second.gcFailure());
  }

  @Test
  void leftoversOfCrashedRunsStaleClaimsAndOrphanMarkersGoAfterADayYoungOnesStay()
      throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = bucket("leftovers");
    push(bucket, series, 0);
    LocalRun.Result published = run(bucket, LocalRun.Settings.defaults(), Clock.systemUTC());
    byte[] junk = "half a file".getBytes(StandardCharsets.UTF_8);
    bucket.put("snapshots/b-crashed/chroma.sqlite3", junk);
    bucket.put("snapshots/b-young/chroma.sqlite3", junk);
    bucket.put("intermediate/b-crashed/chunk-0/chroma.sqlite3", junk);
    bucket.put("plans/b-crashed/chunks.json", junk);
    bucket.put(
        "plans/b-crashed/claim.json",
        new Claim("exec-crashed", null, Instant.now().minus(Duration.ofHours(30)), null, null)
            .bytes());
    bucket.put("plans/b-unclaimed/chunks.json", junk);
    bucket.put("plans/processed/gone/DONE", junk);
    for (String old :
        List.of(
            "snapshots/b-crashed",
            "intermediate/b-crashed",
            "plans/b-crashed",
            "plans/b-unclaimed",
            "plans/processed/gone")) {
      age(bucket.root().resolve(old), Duration.ofDays(8));
    }
    GarbageCollector collector =
        new GarbageCollector(bucket, Lineage.NONE, RetentionRules.defaults(), Clock.systemUTC());
    GarbageCollector.Survey survey = collector.survey();
    assertEquals(
        List.of(
            "deltas/gone/",
            "intermediate/b-crashed/",
            "plans/b-unclaimed/",
            "snapshots/b-crashed/"),
        prefixes(survey, GarbageCollector.Kind.LEFTOVER));
    assertEquals(
        List.of("plans/b-crashed/"),
        prefixes(survey, GarbageCollector.Kind.PLAN),
        "the stale claim");
    assertEquals(List.of(), prefixes(survey, GarbageCollector.Kind.SNAPSHOT));
    assertTrue(
        survey.kept().stream()
            .anyMatch(
                k ->
                    k.prefix().equals("snapshots/b-young/")
                        && k.reason().startsWith("incomplete (no manifest)")),
        survey.kept().toString());
    assertTrue(
        survey.kept().stream()
            .anyMatch(
                k ->
                    k.prefix().equals(published.publish().snapshotPrefix())
                        && k.reason().equals("latest")),
        survey.kept().toString());
    collector.delete(survey, GarbageCollector.Checkpoint.NONE);
    Set<String> left = keys(bucket);
    assertTrue(left.contains("snapshots/b-young/chroma.sqlite3"));
    for (String gone :
        List.of(
            "snapshots/b-crashed/",
            "intermediate/",
            "plans/b-crashed/",
            "plans/b-unclaimed/",
            "plans/processed/gone/")) {
      assertTrue(left.stream().noneMatch(k -> k.startsWith(gone)), gone + " in " + left);
    }
    assertTrue(
        left.contains("plans/" + published.plan().batchId() + "/processed.json"),
        "a finished plan stays 7d");
  }

  // ---------------------------------------------------------------- running batches and the race
  // with Publish

  @Test
  void theBaseAndTheSnapshotOfARunningBatchStayUntilItsClaimIsStale() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = bucket("claimed");
    RetentionRules keepOne =
        new RetentionRules(1, Duration.ZERO, RetentionRules.DEFAULT_DELTA_RETENTION);
    push(bucket, series, 0);
    String base =
        run(bucket, LocalRun.Settings.defaults(), Clock.systemUTC()).publish().snapshotPrefix();
    // A batch on another worker: planned on `base` (claimed, its batch record written), its final
    // merge done.
    push(bucket, series, 1);
    Map<WorkflowStep, ActivityHandler> steps = WorkflowSteps.over(bucket, ChunkSizes.defaults());
    Merged slow = planAndMerge(steps, "slow-execution");
    // Meanwhile other runs publish twice over it (a delta the slow batch does not hold makes
    // another batch).
    push(bucket, series, 2);
    run(bucket, LocalRun.Settings.defaults(), Clock.systemUTC());
    push(bucket, series, 3);
    run(bucket, LocalRun.Settings.defaults().withRetention(keepOne), Clock.systemUTC());

    Set<String> folders = Set.copyOf(snapshotFolders(bucket));
    assertTrue(folders.contains(base), "the running batch's base stays: " + folders);
    assertTrue(
        folders.contains(slow.merge().snapshotPrefix()), "and the snapshot it wrote: " + folders);
    OutputManifest baseManifest = new BatchStore(bucket).manifest(base).orElseThrow();
    assertEquals(List.of(), baseManifest.verify(bucket.root().resolve(base)), "whole");
    GarbageCollector.Survey now =
        new GarbageCollector(bucket, Lineage.NONE, keepOne, Clock.systemUTC()).survey();
    assertTrue(
        now.kept().stream()
            .anyMatch(
                k ->
                    k.prefix().equals(base)
                        && k.reason()
                            .startsWith(
                                "the base of batch "
                                    + slow.plan().batchId()
                                    + ", which is running (claimed by slow-execution")),
        now.kept().toString());

    // 26 hours on, the claim is stale: the batch cannot be running, and both go with its plan.
    GarbageCollector later =
        new GarbageCollector(
            bucket, Lineage.NONE, keepOne, Clock.offset(Clock.systemUTC(), Duration.ofHours(26)));
    GarbageCollector.Survey stale = later.survey();
    assertTrue(
        prefixes(stale, GarbageCollector.Kind.SNAPSHOT)
            .containsAll(List.of(base, slow.merge().snapshotPrefix())),
        stale.garbage().toString());
    assertTrue(
        prefixes(stale, GarbageCollector.Kind.PLAN)
            .contains("plans/" + slow.plan().batchId() + "/"));
  }

  @Test
  void aCollectionBetweenFinalMergeAndPublishDeletesNeitherTheNewNorTheCurrentLatest()
      throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = bucket("race");
    RetentionRules keepOne = new RetentionRules(1, Duration.ZERO, Duration.ZERO);
    push(bucket, series, 0);
    String first =
        run(bucket, LocalRun.Settings.defaults(), Clock.systemUTC()).publish().snapshotPrefix();
    push(bucket, series, 1);
    String current =
        run(bucket, LocalRun.Settings.defaults(), Clock.systemUTC()).publish().snapshotPrefix();
    push(bucket, series, 2);
    Map<WorkflowStep, ActivityHandler> steps = WorkflowSteps.over(bucket, ChunkSizes.defaults());
    Merged merged = planAndMerge(steps, "racing");

    // 1. the whole collection runs between FinalMerge and Publish
    GarbageCollector collector =
        new GarbageCollector(bucket, Lineage.NONE, keepOne, Clock.systemUTC());
    GarbageCollector.Survey survey = collector.survey();
    collector.delete(survey, GarbageCollector.Checkpoint.NONE);
    assertEquals(
        List.of(first), prefixes(survey, GarbageCollector.Kind.SNAPSHOT), "only the one before");
    assertComplete(bucket, current);
    assertComplete(bucket, merged.merge().snapshotPrefix());
    publishAndClean(steps, merged);
    assertEquals(
        merged.merge().snapshotPrefix(), new BatchStore(bucket).latest().orElseThrow().prefix());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2)),
        ChromaDumps.dump(bucket.root().resolve(merged.merge().snapshotPrefix())));

    // 2. Publish and Cleanup of the next batch land inside a collection, right after it listed the
    // snapshots and
    //    the plans, before it reads the first claim and latest
    push(bucket, series, 3);
    Merged next = planAndMerge(steps, "racing-2");
    HookedBucket hooked =
        new HookedBucket(bucket)
            .beforeFirstGet(k -> k.endsWith("/claim.json"), () -> publishAndClean(steps, next));
    GarbageCollector racing =
        new GarbageCollector(hooked, Lineage.NONE, keepOne, Clock.systemUTC());
    GarbageCollector.Survey raced = racing.survey();
    racing.delete(raced, GarbageCollector.Checkpoint.NONE);
    assertEquals(
        next.merge().snapshotPrefix(), new BatchStore(bucket).latest().orElseThrow().prefix());
    assertComplete(bucket, next.merge().snapshotPrefix());
    assertComplete(bucket, merged.merge().snapshotPrefix());
    assertFalse(
        prefixes(raced, GarbageCollector.Kind.SNAPSHOT).contains(merged.merge().snapshotPrefix()),
        "the latest when the collection started stays too");
    // the following collection, with nothing racing it, keeps the new latest only
    GarbageCollector.Survey after = collector.survey();
    assertEquals(
        List.of(merged.merge().snapshotPrefix()), prefixes(after, GarbageCollector.Kind.SNAPSHOT));
  }

  // ---------------------------------------------------------------- a collection stopped after
  // every delete

  @Test
  void aCollectionStoppedAfterAnyDeleteLeavesEveryPieceRecognisableAndTheNextOneFinishes()
      throws Exception {
    Series series = Series.get();
    LocalBlobStore origin = bucket("origin");
    RetentionRules keepOne =
        new RetentionRules(1, Duration.ZERO, RetentionRules.DEFAULT_DELTA_RETENTION);
    for (int i = 0; i < 3; i++) {
      push(origin, series, i);
      run(origin, LocalRun.Settings.defaults(), Clock.systemUTC());
    }
    commitGarbage(origin, "bad", 9);
    run(origin, LocalRun.Settings.defaults(), Clock.systemUTC());
    DeltaPush.push(origin, Lineage.NONE, series.delta(3), "pending", 3, "test");
    Files.delete(origin.root().resolve("deltas/pending/chroma.sqlite3")); // still uploading
    for (String consumed : List.of("delta-00", "delta-01", "bad")) {
      age(origin.root().resolve("deltas/" + consumed), EIGHT_DAYS);
      age(origin.root().resolve("plans/processed/" + consumed), EIGHT_DAYS);
    }
    Clock clock = Clock.systemUTC();
    GarbageCollector.Survey before =
        new GarbageCollector(origin, Lineage.NONE, keepOne, clock).survey();
    assertEquals(
        List.of("deltas/delta-00/", "deltas/delta-01/"),
        prefixes(before, GarbageCollector.Kind.DELTA));
    assertEquals(2, before.count(GarbageCollector.Kind.SNAPSHOT), before.garbage().toString());
    Set<String> consumedBefore = new BatchStore(origin).processedDeltas();
    String latest = new BatchStore(origin).latest().orElseThrow().prefix();

    Set<String> reference = collectedCopy(origin, "reference", keepOne, clock, Integer.MAX_VALUE);
    int total = (int) before.objects();
    assertTrue(total > 20, "a sweep worth its name: " + total + " keys");
    for (int stop = 0; stop < total; stop++) {
      Path copy = tmp.resolve("stopped-" + stop);
      copyKeepingTimes(origin.root(), copy);
      LocalBlobStore bucket = new LocalBlobStore(copy);
      GarbageCollector stopped =
          new GarbageCollector(
              new HookedBucket(bucket).stopAfterDeletedKeys(stop), Lineage.NONE, keepOne, clock);
      assertThrows(
          HookedBucket.Stopped.class,
          () -> stopped.delete(stopped.survey(), GarbageCollector.Checkpoint.NONE));
      String where = "stopped after " + stop + " of " + total + " deletes";
      BatchStore store = new BatchStore(bucket);
      assertEquals(latest, store.latest().orElseThrow().prefix(), where);
      for (String folder : snapshotFolders(bucket)) {
        // a folder with a manifest is whole: a half-deleted snapshot has lost its manifest first
        store
            .manifest(folder)
            .ifPresent(
                m -> {
                  try {
                    assertEquals(
                        List.of(), m.verify(bucket.root().resolve(folder)), where + ": " + folder);
                  } catch (IOException e) {
                    throw new AssertionError(e);
                  }
                });
      }
      assertComplete(bucket, latest);
      for (String delta : bucket.listFolders(StorageLayout.DELTAS_PREFIX)) {
        assertEquals(
            consumedBefore.contains(delta),
            store.processedDeltas().contains(delta),
            where + ": " + delta + " keeps its state (a half-deleted delta stays consumed)");
      }
      GarbageCollector.Survey halfway =
          new GarbageCollector(bucket, Lineage.NONE, keepOne, clock).survey();
      assertEquals(before.pendingDeltas(), halfway.pendingDeltas(), where);
      assertEquals(
          reference,
          collectedCopy(bucket, null, keepOne, clock, Integer.MAX_VALUE),
          where + ": the next collection ends where an uninterrupted one does");
      FileTrees.delete(copy);
    }
  }

  @Test
  void aPlanRacingTheCollectionNeverTakesAHalfDeletedDeltaAgain() throws Exception {
    Series series = Series.get();
    LocalBlobStore origin = bucket("plan-race");
    push(origin, series, 0);
    run(origin, LocalRun.Settings.defaults(), Clock.systemUTC());
    push(
        origin, series,
        1); // so that latest's manifest does not list delta-00: only its DONE marker says consumed
    run(origin, LocalRun.Settings.defaults(), Clock.systemUTC());
    age(origin.root().resolve("deltas/delta-00"), EIGHT_DAYS);
    age(origin.root().resolve("plans/processed/delta-00"), EIGHT_DAYS);
    GarbageCollector.Survey survey =
        new GarbageCollector(origin, Lineage.NONE, RetentionRules.defaults(), Clock.systemUTC())
            .survey();
    int keys =
        (int)
            survey.garbage().stream()
                .filter(g -> g.kind() == GarbageCollector.Kind.DELTA)
                .mapToLong(GarbageCollector.Garbage::objects)
                .sum();
    assertTrue(keys >= 6, "the delta's files, its marker and DONE: " + keys);
    // the collection's deletes, stopped after each count, land just before Plan reads the processed
    // markers, or
    // between that read and its listing of the deltas
    for (String where : List.of(BatchStore.PROCESSED_PREFIX, StorageLayout.DELTAS_PREFIX)) {
      for (int stop = 0; stop <= survey.objects(); stop++) {
        Path copy = tmp.resolve("plan-race-" + where.replace('/', '-') + stop);
        copyKeepingTimes(origin.root(), copy);
        LocalBlobStore bucket = new LocalBlobStore(copy);
        int budget = stop;
        HookedBucket racing =
            new HookedBucket(bucket)
                .beforeFirstList(
                    where::equals,
                    () -> {
                      GarbageCollector gc =
                          new GarbageCollector(
                              new HookedBucket(bucket).stopAfterDeletedKeys(budget),
                              Lineage.NONE,
                              RetentionRules.defaults(),
                              Clock.systemUTC());
                      try {
                        gc.delete(gc.survey(), GarbageCollector.Checkpoint.NONE);
                      } catch (HookedBucket.Stopped stopped) {
                        // killed there
                      }
                    });
        PlanOutput plan =
            ContractJson.MAPPER.readValue(
                InProcessTask.run(
                    WorkflowSteps.over(racing, ChunkSizes.defaults()),
                    WorkflowStep.PLAN,
                    ContractJson.output(new PlanInput(new CompactionRequest(null, null), "racing")),
                    tmp),
                PlanOutput.class);
        String at = "deletes stopped after " + stop + " before listing " + where;
        assertEquals(0, plan.chunkCount(), at + ": nothing to compact");
        assertEquals(0, plan.waitingDeltas(), at + ": nor anything waiting");
        assertEquals(List.of(), Quarantine.list(bucket, Lineage.NONE), at);
        FileTrees.delete(copy);
      }
    }
  }

  @Test
  void theStepPublishesTheLineagesBytesItsPendingDeltasAndWhatItFreed() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = bucket("metrics");
    Lineage line = Lineage.of("words");
    for (int i = 0; i < 3; i++) {
      DeltaPush.push(bucket, line, series.delta(i), "d" + i, i, "test");
      run(bucket, LocalRun.Settings.defaults().withLineage(line), Clock.systemUTC());
    }
    DeltaPush.push(bucket, line, series.delta(3), "waiting", 3, "test");
    Files.delete(bucket.root().resolve("words/deltas/waiting/chroma.sqlite3"));
    age(bucket.root().resolve("words/deltas/waiting"), Duration.ofMinutes(5));
    long snapshotsBefore = bytesUnder(bucket.root().resolve("words/snapshots"));
    RecordingSink sink = new RecordingSink();
    GcStep step =
        new GcStep(
            bucket,
            new RetentionRules(2, Duration.ZERO, RetentionRules.DEFAULT_DELTA_RETENTION),
            RetentionRules.Mode.DELETE,
            Clock.systemUTC());
    Path work = Files.createTempDirectory(tmp, "gc-");
    String output =
        step.handle("{\"lineage\": \"words\"}", new QuietTask(work, new TaskMetrics(sink)));
    CollectGarbageOutput out = ContractJson.MAPPER.readValue(output, CollectGarbageOutput.class);
    long snapshotsAfter = bytesUnder(bucket.root().resolve("words/snapshots"));
    assertEquals(1, out.snapshotsDeleted());
    assertEquals(snapshotsBefore - snapshotsAfter, out.bytesFreed());
    assertEquals(snapshotsAfter, out.snapshotBytes());
    assertEquals(bytesUnder(bucket.root().resolve("words/deltas")), out.deltaBytes());
    assertEquals(1, out.pendingDeltas());
    assertTrue(
        out.oldestPendingDeltaSeconds() >= 300 && out.oldestPendingDeltaSeconds() < 400,
        out.toString());
    MetricDimensions words = MetricDimensions.NONE.withLineage("words");
    assertEquals(List.of((double) snapshotsAfter), values(sink, MetricNames.SNAPSHOT_BYTES, words));
    assertEquals(List.of((double) out.deltaBytes()), values(sink, MetricNames.DELTA_BYTES, words));
    assertEquals(List.of(1.0), values(sink, MetricNames.PENDING_DELTAS, words));
    assertEquals(
        List.of((double) out.bytesFreed()), values(sink, MetricNames.GC_BYTES_FREED, words));
    assertEquals(
        1,
        values(sink, MetricNames.OLDEST_PENDING_DELTA_SECONDS, MetricDimensions.NONE).size(),
        "and once with no dimension, for alarms");
  }

  private static List<Double> values(RecordingSink sink, String name, MetricDimensions dims) {
    return sink.named(name, dims).stream().map(Measurement::value).toList();
  }

  private static long bytesUnder(Path folder) throws IOException {
    try (Stream<Path> walk = Files.walk(folder)) {
      return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  // ---------------------------------------------------------------- helpers

  private LocalBlobStore bucket(String name) throws Exception {
    return new LocalBlobStore(tmp.resolve(name));
  }

  private static void push(BlobStore bucket, Series series, int i) throws Exception {
    DeltaPush.push(
        bucket, Lineage.NONE, series.delta(i), series.delta(i).getFileName().toString(), i, "test");
  }

  /**
   * A delta whose honest marker lists a chroma.sqlite3 that is not SQLite: quarantined by the next
   * run.
   */
  private static void commitGarbage(LocalBlobStore bucket, String name, long sequence)
      throws Exception {
    byte[] garbage = "not sqlite at all ".repeat(40).getBytes(StandardCharsets.UTF_8);
    Path folder = Files.createDirectories(bucket.root().resolve("deltas/" + name));
    Files.write(folder.resolve("chroma.sqlite3"), garbage);
    Files.writeString(
        folder.resolve(DeltaMarker.FILE),
        "{\"format\": \"chroma-compactor/delta\", \"version\": 1,"
            + " \"sequence\": "
            + sequence
            + ", \"files\": [{\"path\": \"chroma.sqlite3\", \"size\": "
            + garbage.length
            + ", \"sha256\": \""
            + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(garbage))
            + "\"}]}");
  }

  private LocalRun.Result run(BlobStore bucket, LocalRun.Settings settings, Clock clock)
      throws Exception {
    return new LocalRun(bucket, settings, Files.createTempDirectory(tmp, "scratch-"), QUIET, clock)
        .run("run-" + System.nanoTime());
  }

  private static List<String> snapshotFolders(LocalBlobStore bucket) throws Exception {
    return bucket.listFolders(StorageLayout.SNAPSHOTS_PREFIX);
  }

  private static List<String> prefixes(GarbageCollector.Survey survey, GarbageCollector.Kind kind) {
    return survey.garbage().stream()
        .filter(g -> g.kind() == kind)
        .map(GarbageCollector.Garbage::prefix)
        .sorted()
        .toList();
  }

  private static Set<String> keys(LocalBlobStore bucket) throws Exception {
    return new TreeSet<>(bucket.listKeys(""));
  }

  /**
   * Runs a collection (stopped after {@code budget} deleted keys) on {@code bucket}; returns the
   * keys left.
   */
  private Set<String> collectedCopy(
      LocalBlobStore bucket, String copyName, RetentionRules rules, Clock clock, int budget)
      throws Exception {
    LocalBlobStore target = bucket;
    if (copyName != null) {
      Path copy = tmp.resolve(copyName);
      copyKeepingTimes(bucket.root(), copy);
      target = new LocalBlobStore(copy);
    }
    GarbageCollector collector =
        new GarbageCollector(
            new HookedBucket(target).stopAfterDeletedKeys(budget), Lineage.NONE, rules, clock);
    collector.delete(collector.survey(), GarbageCollector.Checkpoint.NONE);
    return keys(target);
  }

  /** A copy of a bucket folder with its files' modification times, which are its upload times. */
  private static void copyKeepingTimes(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  private static void assertComplete(LocalBlobStore bucket, String snapshot) throws Exception {
    OutputManifest m =
        new BatchStore(bucket)
            .manifest(snapshot)
            .orElseThrow(() -> new AssertionError(snapshot + " lost its manifest"));
    assertEquals(List.of(), m.verify(bucket.root().resolve(snapshot)), snapshot);
  }

  /** Sets the modification time of a file, or of every file under a folder, to {@code age} ago. */
  private static void age(Path path, Duration age) throws Exception {
    FileTime then = FileTime.from(Instant.now().minus(age));
    List<Path> files;
    try (Stream<Path> walk = Files.walk(path)) {
      files = walk.filter(Files::isRegularFile).collect(Collectors.toList());
    }
    for (Path f : files) {
      Files.setLastModifiedTime(f, then);
    }
  }

  /** A batch planned and merged in this process, not published yet. */
  private Merged planAndMerge(Map<WorkflowStep, ActivityHandler> steps, String execution)
      throws Exception {
    Merged m = InProcessTask.planAndMerge(steps, execution, tmp, () -> {});
    assertTrue(m.plan().chunkCount() > 0, "planned: " + m.plan());
    return m;
  }

  private void publishAndClean(Map<WorkflowStep, ActivityHandler> steps, Merged m)
      throws Exception {
    InProcessTask.publishAndClean(steps, m, tmp);
  }
}
