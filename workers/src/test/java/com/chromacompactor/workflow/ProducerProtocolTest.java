package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.Scenario;
import com.chromacompactor.testing.Series;
import com.chromacompactor.workflow.InProcessTask.Merged;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Producers as they really are, on a local bucket with deltas made by real chromadb: names that say
 * nothing of the write order, uploads file by file, deltas that arrive late, markers that lie.
 * Every published snapshot is opened by chromadb and compared with the chromadb oracle that upserts
 * the deltas in sequence order.
 */
class ProducerProtocolTest {
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
  @TempDir Path tmp;

  // ---------------------------------------------------------------- write order

  @Test
  void markedDeltasWhoseNamesSortAgainstTheirSequencesMergeInSequenceOrder() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = bucket();
    for (int i = 0; i < 10; i++) {
      // delta 0 is named z9, delta 9 z0: key order is the reverse of the write order
      DeltaPush.push(bucket, Lineage.NONE, series.delta(i), "z" + (9 - i), 1_000 + i, "test");
    }
    LocalRun.Result r = run(bucket, LocalRun.Settings.defaults(), Clock.systemUTC());
    JsonNode inOrder = Series.oracle(series.deltas(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    JsonNode byName = Series.oracle(series.deltas(9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
    assertNotEquals(
        inOrder.path("collections").path("series").path("records"),
        byName.path("collections").path("series").path("records"),
        "the order matters for these deltas");
    ChromaDumps.assertSameRecordsAndNeighbours(inOrder, dump(bucket, r));
  }

  @Test
  void unmarkedDeltasMergeInTheOrderOfTheirUploadTimes() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = bucket();
    Instant first = Instant.now().minus(Duration.ofHours(1));
    for (int i = 0; i < 10; i++) {
      Path folder = bucket.root().resolve("deltas/z" + (9 - i));
      Scenario.copyTree(series.delta(i), folder);
      touchAll(folder, first.plusSeconds(i)); // the upload time carries the order
    }
    LocalRun.Result r = run(bucket, LocalRun.Settings.defaults(), Clock.systemUTC());
    assertEquals(0, r.plan().waitingDeltas(), "all settled an hour ago");
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)), dump(bucket, r));
  }

  // ---------------------------------------------------------------- late arrival

  @Test
  void deltasHeldBackAndDeliveredToALaterRunGiveTheSnapshotOfAllInSequenceOrder() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = bucket();
    // chunks of 4 deltas: the late ones share chunks with others, so the chunk itself must gate
    // them
    LocalRun.Settings settings = new LocalRun.Settings(ChunkSizes.uniform(4), 1500, "fail");
    List<Integer> held = List.of(7, 13);
    List<Path> first = new ArrayList<>();
    for (int i = 0; i < Series.SIZE; i++) {
      if (!held.contains(i)) {
        push(bucket, series, i);
        first.add(series.delta(i));
      }
    }
    LocalRun.Result one = run(bucket, settings, Clock.systemUTC());
    ChromaDumps.assertSameRecordsAndNeighbours(Series.oracle(first), dump(bucket, one));

    for (int i : held) {
      push(bucket, series, i); // a producer's upload that was retried for an hour
    }
    LocalRun.Result two = run(bucket, settings, Clock.systemUTC());
    BatchRecord batch = new BatchStore(bucket).readBatchRecord(two.plan().batchId());
    assertEquals(
        List.of(BatchRecord.Arrival.LATE, BatchRecord.Arrival.LATE),
        batch.deltas().stream().map(BatchRecord.PlannedDelta::arrival).toList());
    JsonNode all =
        Series.oracle(
            series.deltas(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19));
    JsonNode snapshot = dump(bucket, two);
    ChromaDumps.assertSameRecordsAndNeighbours(all, snapshot);
    JsonNode records = snapshot.path("collections").path("series").path("records");
    assertFalse(
        records.has("p06"), "the late delete of p06 (delta 7) applies: nothing wrote p06 after it");
    assertEquals(
        "p05 written by delta 9",
        records.path("p05").path("document").asText(),
        "the late delete of p05 (delta 7) loses to delta 9's write");
    assertFalse(records.has("p30"), "the late write of p30 (delta 13) loses to delta 16's delete");
  }

  // ---------------------------------------------------------------- uploads in flight

  @Test
  void aMarkedDeltaWhoseListedFilesArriveAfterPlanWaitsThenIsCompactedByTheNextRun()
      throws Exception {
    assertAnUploadInFlightWaits(true);
  }

  @Test
  void anUnmarkedDeltaStillUploadingWhenPlanRunsWaitsThenIsCompactedOnceSettled() throws Exception {
    assertAnUploadInFlightWaits(false);
  }

  private void assertAnUploadInFlightWaits(boolean marked) throws Exception {
    Scenario s = Scenario.get();
    LocalBlobStore bucket = bucket();
    LocalRun.importDeltas(bucket, List.of(s.delta("00-base")));
    Path big = s.delta("01-big");
    String key = "deltas/01-big/";
    List<Path> files;
    try (Stream<Path> walk = Files.walk(big)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    List<Path> hnsw =
        files.stream().filter(f -> !f.getFileName().toString().equals("chroma.sqlite3")).toList();
    assertTrue(hnsw.size() >= 4, "01-big has HNSW files: " + hnsw);
    List<Path> before = new ArrayList<>(List.of(big.resolve("chroma.sqlite3")));
    before.addAll(hnsw.subList(0, hnsw.size() / 2));
    List<Path> after = hnsw.subList(hnsw.size() / 2, hnsw.size());
    if (marked) {
      // a producer that wrote its marker early: it lists every file, half of which are not there
      // yet
      bucket.put(key + DeltaMarker.FILE, marker(big, files, 5_000_000_000_000L).toJson());
    }
    for (Path f : before) {
      bucket.upload(f, key + big.relativize(f));
    }
    Instant start = Instant.now();
    Map<WorkflowStep, ActivityHandler> steps =
        WorkflowSteps.over(
            bucket,
            WorkflowSteps.Settings.defaults(ChunkSizes.defaults())
                .withClock(Clock.fixed(start, ZoneOffset.UTC)));
    // Plan lists the prefix; the rest of the upload lands while the run goes on.
    Merged one =
        runSteps(
            steps,
            "one",
            () -> {
              for (Path f : after) {
                bucket.upload(f, key + big.relativize(f));
              }
            });
    assertEquals(1, one.plan().waitingDeltas(), "01-big waits");
    assertEquals(
        List.of("deltas/00-base/"),
        new BatchStore(bucket)
            .readBatchRecord(one.plan().batchId()).deltas().stream()
                .map(BatchRecord.PlannedDelta::key)
                .toList());
    assertFalse(new BatchStore(bucket).processedDeltas().contains(key), "not consumed");
    assertTrue(bucket.listKeys("quarantine/").isEmpty(), "not quarantined");
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(List.of(s.delta("00-base"))),
        dumpPrefix(bucket, one.merge().snapshotPrefix()));

    // The next run: the marked delta is complete; the unmarked one has settled by then.
    Clock later =
        Clock.fixed(start.plus(marked ? Duration.ZERO : Duration.ofMinutes(11)), ZoneOffset.UTC);
    Merged two =
        runSteps(
            WorkflowSteps.over(
                bucket, WorkflowSteps.Settings.defaults(ChunkSizes.defaults()).withClock(later)),
            "two",
            () -> {});
    assertEquals(0, two.plan().waitingDeltas());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(List.of(s.delta("00-base"), big)),
        dumpPrefix(bucket, two.merge().snapshotPrefix()));
  }

  // ---------------------------------------------------------------- markers that lie

  @Test
  void aMarkerThatLiesAboutASizeOrAHashMakesTheDeltaWaitThenQuarantinesItAfterTheLimit()
      throws Exception {
    Series series = Series.get();
    Scenario s = Scenario.get();
    LocalBlobStore bucket = bucket();
    push(bucket, series, 0);
    // delta 1: its marker says chroma.sqlite3 is one byte longer than it is (Plan sees it in the
    // listing)
    Path one = series.delta(1);
    DeltaMarker honest = marker(one, filesOf(one), 1);
    List<DeltaMarker.FileEntry> lying =
        honest.files().orElseThrow().stream()
            .map(
                f ->
                    f.path().equals("chroma.sqlite3")
                        ? new DeltaMarker.FileEntry(f.path(), f.size() + 1, f.sha256())
                        : f)
            .toList();
    upload(bucket, one, "deltas/size-lie/", new DeltaMarker(1, Optional.of(lying), "test", null));
    // 01-big: its marker gives data_level0.bin the right size but another SHA-256 (found only once
    // downloaded)
    Path big = s.delta("01-big");
    DeltaMarker bigHonest = marker(big, filesOf(big), 2);
    List<DeltaMarker.FileEntry> wrongHash =
        bigHonest.files().orElseThrow().stream()
            .map(
                f ->
                    f.path().endsWith("data_level0.bin")
                        ? new DeltaMarker.FileEntry(f.path(), f.size(), "0".repeat(64))
                        : f)
            .toList();
    upload(
        bucket, big, "deltas/hash-lie/", new DeltaMarker(2, Optional.of(wrongHash), "test", null));

    Instant start = Instant.now();
    LocalRun.Result first =
        run(bucket, LocalRun.Settings.defaults(), Clock.fixed(start, ZoneOffset.UTC));
    assertEquals(1, first.plan().waitingDeltas(), "the size lie is seen by Plan");
    BatchStore store = new BatchStore(bucket);
    OutputManifest published = store.manifest(first.merge().snapshotPrefix()).orElseThrow();
    assertEquals(List.of("deltas/delta-00/"), published.deltaKeys());
    assertEquals(
        List.of("deltas/hash-lie/"),
        published.deferredOrNone(),
        "the hash lie is found by its chunk");
    assertTrue(bucket.listKeys("quarantine/").isEmpty(), "waiting, not bad");
    assertFalse(store.processedDeltas().contains("deltas/hash-lie/"));
    assertFalse(store.processedDeltas().contains("deltas/size-lie/"));
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0)), dump(bucket, first));

    // A day and an hour later, still not what their markers say: quarantined, with what differs.
    run(
        bucket,
        LocalRun.Settings.defaults(),
        Clock.fixed(start.plus(Duration.ofHours(25)), ZoneOffset.UTC));
    List<Quarantine.Record> records = Quarantine.list(bucket, Lineage.NONE);
    assertEquals(2, records.size(), records.toString());
    Quarantine.Record size =
        records.stream()
            .filter(q -> q.deltaKey().equals("deltas/size-lie/"))
            .findFirst()
            .orElseThrow();
    assertEquals(DeltaProblem.INCOMPLETE_UPLOAD, size.problem());
    assertEquals(QuarantineStep.PLAN, size.step());
    assertTrue(
        size.detail()
            .contains(
                "chroma.sqlite3 is "
                    + Files.size(one.resolve("chroma.sqlite3"))
                    + " bytes, the marker says "
                    + (Files.size(one.resolve("chroma.sqlite3")) + 1)),
        size.detail());
    Quarantine.Record hash =
        records.stream()
            .filter(q -> q.deltaKey().equals("deltas/hash-lie/"))
            .findFirst()
            .orElseThrow();
    assertEquals(DeltaProblem.INCOMPLETE_UPLOAD, hash.problem());
    assertEquals(QuarantineStep.COMPACT_CHUNK, hash.step());
    assertTrue(
        hash.detail().contains("data_level0.bin has SHA-256 ")
            && hash.detail().contains("the marker says " + "0".repeat(64)),
        hash.detail());
    assertTrue(
        store.processedDeltas().containsAll(List.of("deltas/size-lie/", "deltas/hash-lie/")));
  }

  @Test
  void aMalformedMarkerIsABadDeltaQuarantinedAtPlan() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = bucket();
    push(bucket, series, 0);
    Path one = series.delta(1);
    Scenario.copyTree(one, bucket.root().resolve("deltas/bad-marker"));
    bucket.put(
        "deltas/bad-marker/" + DeltaMarker.FILE,
        "{\"format\": \"chroma-compactor/delta\", \"version\": 1, \"sequence\": -3}"
            .getBytes(StandardCharsets.UTF_8));
    LocalRun.Result r = run(bucket, LocalRun.Settings.defaults(), Clock.systemUTC());
    Quarantine.Record q = Quarantine.list(bucket, Lineage.NONE).get(0);
    assertEquals("deltas/bad-marker/", q.deltaKey());
    assertEquals(DeltaProblem.BAD_MARKER, q.problem());
    assertTrue(q.detail().contains("\"sequence\" must be a non-negative integer"), q.detail());
    ChromaDumps.assertSameRecordsAndNeighbours(Series.oracle(series.deltas(0)), dump(bucket, r));
  }

  // ---------------------------------------------------------------- helpers

  private LocalBlobStore bucket() throws Exception {
    return new LocalBlobStore(tmp.resolve("bucket"));
  }

  private static void push(LocalBlobStore bucket, Series series, int i) throws Exception {
    DeltaPush.push(
        bucket, Lineage.NONE, series.delta(i), series.delta(i).getFileName().toString(), i, "test");
  }

  private LocalRun.Result run(LocalBlobStore bucket, LocalRun.Settings settings, Clock clock)
      throws Exception {
    return new LocalRun(bucket, settings, Files.createTempDirectory(tmp, "scratch-"), QUIET, clock)
        .run("run-" + System.nanoTime());
  }

  private static JsonNode dump(LocalBlobStore bucket, LocalRun.Result r) throws Exception {
    return dumpPrefix(bucket, r.merge().snapshotPrefix());
  }

  /**
   * What chromadb answers for a published snapshot (a copy; the versions file and manifest left in
   * place).
   */
  static JsonNode dumpPrefix(LocalBlobStore bucket, String prefix) throws Exception {
    return ChromaDumps.dump(bucket.root().resolve(prefix));
  }

  private static List<Path> filesOf(Path folder) throws Exception {
    try (Stream<Path> walk = Files.walk(folder)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    }
  }

  /** The honest marker of {@code files}. */
  private static DeltaMarker marker(Path folder, List<Path> files, long sequence) throws Exception {
    List<DeltaMarker.FileEntry> entries = new ArrayList<>();
    for (Path f : files) {
      entries.add(
          new DeltaMarker.FileEntry(
              folder.relativize(f).toString(), Files.size(f), OutputManifest.sha256(f)));
    }
    return new DeltaMarker(sequence, Optional.of(entries), "test", null);
  }

  private static void upload(LocalBlobStore bucket, Path folder, String key, DeltaMarker marker)
      throws Exception {
    for (Path f : filesOf(folder)) {
      bucket.upload(f, key + folder.relativize(f));
    }
    bucket.put(key + DeltaMarker.FILE, marker.toJson());
  }

  private static void touchAll(Path folder, Instant time) throws Exception {
    for (Path f : filesOf(folder)) {
      Files.setLastModifiedTime(f, FileTime.from(time));
    }
  }

  /**
   * The workflow's steps in order, as LocalRun runs them, with {@code afterPlan} run between Plan
   * and the chunks.
   */
  private Merged runSteps(
      Map<WorkflowStep, ActivityHandler> steps, String execution, InProcessTask.Between afterPlan)
      throws Exception {
    Merged m = InProcessTask.planAndMerge(steps, execution, tmp, afterPlan);
    InProcessTask.publishAndClean(steps, m, tmp);
    return m;
  }
}
