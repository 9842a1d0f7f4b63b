package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.ActivityWorker;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.aws.Resilience;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.CompactionRequest;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.PlanInput;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.FolderTransfer;
import com.chromacompactor.storage.RootedBlobStore;
import com.chromacompactor.storage.S3BlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.LocalStackHealth;
import com.chromacompactor.testing.QuietTask;
import com.chromacompactor.testing.Series;
import com.chromacompactor.testing.TempTrees;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;

/**
 * Retention through the deployed workflow on LocalStack: CollectGarbage as the last state, run by a
 * real worker, with the rules a test sets (as the deployment sets them from the CDK context) and a
 * clock it can move. Each test works in a lineage of its own in one bucket. Snapshots are opened by
 * chromadb and compared with the oracle.
 */
class RetentionOnLocalStackTest {
  private static AwsClients clients;
  private static String bucket;
  private static S3BlobStore store;
  private static StateMachineOnLocalStack workflow;
  private static ActivityWorker worker;

  /** The CollectGarbage handler the worker runs; each test sets its rules, mode and clock. */
  private static volatile ActivityHandler gc;

  @BeforeAll
  static void setUp() throws Exception {
    LocalStackHealth.require();
    clients = new AwsClients(AwsSettings.localStack());
    bucket = "compactor-gc-" + UUID.randomUUID().toString().substring(0, 8);
    clients.s3().createBucket(b -> b.bucket(bucket));
    store = new S3BlobStore(clients.s3(), bucket, Resilience.standard("s3"));
    workflow = StateMachineOnLocalStack.create(clients, "gc", bucket);
    Map<WorkflowStep, ActivityHandler> handlers =
        new EnumMap<>(WorkflowSteps.over(store, ChunkSizes.defaults()));
    handlers.put(WorkflowStep.COLLECT_GARBAGE, (input, context) -> gc.handle(input, context));
    gc(RetentionRules.defaults(), RetentionRules.Mode.DELETE, Clock.systemUTC());
    worker = workflow.startWorker("gc-worker", handlers);
  }

  @AfterAll
  static void tearDown() {
    if (worker != null) {
      worker.stop(Duration.ofSeconds(5));
    }
  }

  private static void gc(RetentionRules rules, RetentionRules.Mode mode, Clock clock) {
    gc = new GcStep(store, rules, mode, clock);
  }

  @Test
  void fiveBatchesWithRetentionTwoLeaveTheLatestAndTheOneBefore() throws Exception {
    Series series = Series.get();
    Lineage line = Lineage.of("five");
    gc(
        new RetentionRules(2, Duration.ZERO, RetentionRules.DEFAULT_DELTA_RETENTION),
        RetentionRules.Mode.DELETE,
        Clock.systemUTC());
    List<String> published = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      DeltaPush.push(store, line, series.delta(i), "d" + i, i, "test");
      StateMachineOnLocalStack.Execution e = workflow.run("five-" + i, "{\"lineage\": \"five\"}");
      assertTrue(
          e.entered().containsAll(List.of("Publish", "Cleanup", "CollectGarbage", "Compacted")),
          e.entered().toString());
      published.add(e.output().path("publish").path("snapshotPrefix").asText());
      assertEquals(
          i >= 2 ? 1 : 0,
          e.output().path("gc").path("snapshotsDeleted").asInt(),
          e.output().toString());
      assertFalse(e.output().path("gc").path("dryRun").asBoolean());
    }
    assertEquals(List.of(published.get(3), published.get(4)), snapshotFolders(line));
    assertEquals(published.get(4), latest(line));
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2, 3, 4)), dumpLatest(line));
    JsonNode last = workflow.run("five-idle", "{\"lineage\": \"five\"}").output();
    assertEquals(0, last.path("plan").path("chunkCount").asInt());
    assertEquals(
        0,
        last.path("gc").path("snapshotsDeleted").asInt(),
        "an idle run collects too, and finds nothing");
    assertTrue(last.path("gc").path("snapshotBytes").asLong() > 0, last.toString());
  }

  @Test
  void theDryRunDeletesNothingAndSaysWhatItWould() throws Exception {
    Series series = Series.get();
    Lineage line = Lineage.of("dry");
    gc(
        new RetentionRules(1, Duration.ZERO, Duration.ZERO),
        RetentionRules.Mode.DRY_RUN,
        Clock.systemUTC());
    JsonNode output = null;
    for (int i = 0; i < 3; i++) {
      DeltaPush.push(store, line, series.delta(i), "d" + i, i, "test");
      output = workflow.run("dry-" + i, "{\"lineage\": \"dry\"}").output();
    }
    JsonNode dry = output.path("gc");
    assertTrue(dry.path("dryRun").asBoolean(), dry.toString());
    assertEquals(
        2, dry.path("snapshotsDeleted").asInt(), "would delete the two before latest: " + dry);
    assertEquals(
        3,
        dry.path("deltasDeleted").asInt(),
        "and the three consumed deltas (no retention): " + dry);
    assertTrue(dry.path("bytesFreed").asLong() > 0, dry.toString());
    assertEquals(3, snapshotFolders(line).size(), "nothing deleted");
    assertEquals(
        3,
        RootedBlobStore.under(store, line.root()).listFolders("deltas/").size(),
        "nothing deleted");
    assertEquals(
        dry.path("snapshotBytes").asLong(),
        bytesUnder(line, "snapshots/"),
        "the bytes as they are");
    assertEquals(dry.path("deltaBytes").asLong(), bytesUnder(line, "deltas/"));
  }

  @Test
  void aSnapshotUsedAsTheBaseOfAClaimedBatchSurvives() throws Exception {
    Series series = Series.get();
    Lineage line = Lineage.of("claimed");
    RetentionRules keepOne =
        new RetentionRules(1, Duration.ZERO, RetentionRules.DEFAULT_DELTA_RETENTION);
    gc(keepOne, RetentionRules.Mode.DELETE, Clock.systemUTC());
    DeltaPush.push(store, line, series.delta(0), "d0", 0, "test");
    String base =
        workflow
            .run("claimed-0", "{\"lineage\": \"claimed\"}")
            .output()
            .path("publish")
            .path("snapshotPrefix")
            .asText();
    // A batch claimed by an execution still running elsewhere: its Plan ran, on `base`.
    DeltaPush.push(store, line, series.delta(1), "d1", 1, "test");
    PlanOutput slow =
        ContractJson.MAPPER.readValue(
            WorkflowSteps.over(store, ChunkSizes.defaults())
                .get(WorkflowStep.PLAN)
                .handle(
                    ContractJson.output(
                        new PlanInput(new CompactionRequest(null, null, line), "slow-elsewhere")),
                    context()),
            PlanOutput.class);
    assertTrue(slow.chunkCount() > 0);
    // Two more batches publish over it, each followed by a collection that keeps one snapshot.
    List<String> later = new ArrayList<>();
    for (int i = 2; i < 4; i++) {
      DeltaPush.push(store, line, series.delta(i), "d" + i, i, "test");
      later.add(
          workflow
              .run("claimed-" + i, "{\"lineage\": \"claimed\"}")
              .output()
              .path("publish")
              .path("snapshotPrefix")
              .asText());
    }
    List<String> folders = snapshotFolders(line);
    assertTrue(folders.contains(base), "the claimed batch's base survives: " + folders);
    assertFalse(
        folders.contains(later.get(0)),
        "the snapshot between them is beyond the one kept: " + folders);
    assertTrue(folders.contains(later.get(1)), "latest");
    BlobStore lineage = RootedBlobStore.under(store, line.root());
    OutputManifest manifest =
        OutputManifest.parse(lineage.get(base + OutputManifest.FILE).orElseThrow().body());
    Map<String, Long> sizes =
        lineage.list(base).stream()
            .collect(
                Collectors.toMap(o -> o.key().substring(base.length()), BlobStore.Listed::size));
    manifest
        .files()
        .forEach((file, entry) -> assertEquals(entry.bytes(), sizes.get(file), base + file));
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2, 3)), dumpLatest(line));
  }

  @Test
  void consumedDeltasPastTheirRetentionAreGonePendingAndQuarantinedOnesAreNot() throws Exception {
    Series series = Series.get();
    Lineage line = Lineage.of("retained");
    BlobStore lineage = RootedBlobStore.under(store, line.root());
    gc(RetentionRules.defaults(), RetentionRules.Mode.DELETE, Clock.systemUTC());
    DeltaPush.push(store, line, series.delta(0), "d0", 0, "test");
    DeltaPush.push(store, line, series.delta(1), "d1", 1, "test");
    commitGarbage(lineage, "bad", 2);
    JsonNode first = workflow.run("retained-0", "{\"lineage\": \"retained\"}").output();
    assertEquals(
        0, first.path("gc").path("deltasDeleted").asInt(), "within the retention: " + first);
    // pending: its marker lists a file that is not uploaded yet
    DeltaPush.push(store, line, series.delta(2), "pending", 2, "test");
    lineage.delete(List.of("deltas/pending/chroma.sqlite3"));

    // Eight days on (the collection's clock), the consumed deltas are past the 7-day retention.
    gc(
        RetentionRules.defaults(),
        RetentionRules.Mode.DELETE,
        Clock.offset(Clock.systemUTC(), Duration.ofDays(8)));
    JsonNode later = workflow.run("retained-1", "{\"lineage\": \"retained\"}").output();
    assertEquals(
        0, later.path("plan").path("chunkCount").asInt(), "nothing new to compact: " + later);
    assertEquals(1, later.path("plan").path("waitingDeltas").asInt());
    assertEquals(2, later.path("gc").path("deltasDeleted").asInt(), later.toString());
    assertEquals(1, later.path("gc").path("pendingDeltas").asInt());
    assertEquals(
        Set.of("deltas/bad/", "deltas/pending/"), Set.copyOf(lineage.listFolders("deltas/")));
    Set<String> markers =
        lineage.listKeys(BatchStore.PROCESSED_PREFIX).stream().collect(Collectors.toSet());
    assertEquals(
        Set.of("plans/processed/bad/DONE"),
        markers,
        "the quarantined delta stays consumed, no other");
    assertEquals(1, Quarantine.list(store, line).size());
    assertEquals(1, lineage.listFolders("snapshots/").size());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1)), dumpLatest(line));

    // The pending delta completes: the next run takes it alone; no deleted delta comes back.
    gc(RetentionRules.defaults(), RetentionRules.Mode.DELETE, Clock.systemUTC());
    lineage.upload(series.delta(2).resolve("chroma.sqlite3"), "deltas/pending/chroma.sqlite3");
    JsonNode last = workflow.run("retained-2", "{\"lineage\": \"retained\"}").output();
    assertEquals(1, last.path("plan").path("chunkCount").asInt(), last.toString());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2)), dumpLatest(line));
  }

  @Test
  void aFailedCollectionFailsNoBatchItIsInTheOutputAndItsMetricIsPut() throws Exception {
    Series series = Series.get();
    Lineage line = Lineage.of("failing");
    Instant start = Instant.now().minusSeconds(60);
    gc =
        (input, context) -> {
          throw new TaskFailure(
              ErrorNames.UNEXPECTED, "the bucket's listing is not what it should be");
        };
    DeltaPush.push(store, line, series.delta(0), "d0", 0, "test");
    StateMachineOnLocalStack.Execution e = workflow.run("failing", "{\"lineage\": \"failing\"}");
    assertTrue(
        e.entered()
            .containsAll(
                List.of("Publish", "Cleanup", "CollectGarbage", "ReportGcFailure", "Compacted")),
        e.entered().toString());
    assertEquals(
        ErrorNames.UNEXPECTED, e.output().path("gc").path("Error").asText(), e.output().toString());
    assertTrue(e.output().path("gc").path("Cause").asText().contains("not what it should be"));
    ChromaDumps.assertSameRecordsAndNeighbours(Series.oracle(series.deltas(0)), dumpLatest(line));
    List<Datapoint> points = List.of();
    for (int i = 0; i < 50 && points.isEmpty(); i++) {
      points =
          clients
              .cloudWatch()
              .getMetricStatistics(
                  b ->
                      b.namespace(MetricNames.NAMESPACE)
                          .metricName(MetricNames.GC_FAILURES)
                          .startTime(start)
                          .endTime(Instant.now().plusSeconds(60))
                          .period(60)
                          .statistics(Statistic.SUM))
              .datapoints();
      if (points.isEmpty()) {
        Thread.sleep(200);
      }
    }
    assertTrue(
        points.stream().mapToDouble(Datapoint::sum).sum() >= 1, "GcFailures was put: " + points);
    gc(RetentionRules.defaults(), RetentionRules.Mode.DELETE, Clock.systemUTC());
  }

  // ---------------------------------------------------------------- helpers

  private static List<String> snapshotFolders(Lineage line) throws Exception {
    return RootedBlobStore.under(store, line.root()).listFolders("snapshots/");
  }

  private static String latest(Lineage line) throws Exception {
    return new String(
        store.get(line.root() + "latest").orElseThrow().body(), StandardCharsets.UTF_8);
  }

  private static long bytesUnder(Lineage line, String prefix) throws Exception {
    return RootedBlobStore.under(store, line.root()).list(prefix).stream()
        .mapToLong(BlobStore.Listed::size)
        .sum();
  }

  private static JsonNode dumpLatest(Lineage line) throws Exception {
    Path local = TempTrees.create("gc-latest-");
    FolderTransfer.download(store, line.root() + latest(line), local);
    return ChromaDumps.dump(local);
  }

  /**
   * A delta whose honest marker lists a chroma.sqlite3 that is not SQLite: quarantined by the next
   * run.
   */
  private static void commitGarbage(BlobStore lineage, String name, long sequence)
      throws Exception {
    byte[] garbage = "not sqlite at all ".repeat(40).getBytes(StandardCharsets.UTF_8);
    lineage.put("deltas/" + name + "/chroma.sqlite3", garbage);
    lineage.put(
        "deltas/" + name + "/" + DeltaMarker.FILE,
        ("{\"format\": \"chroma-compactor/delta\", \"version\": 1,"
                + " \"sequence\": "
                + sequence
                + ", \"files\": [{\"path\": \"chroma.sqlite3\", \"size\": "
                + garbage.length
                + ", \"sha256\": \""
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(garbage))
                + "\"}]}")
            .getBytes(StandardCharsets.UTF_8));
  }

  private static TaskContext context() {
    return QuietTask.in(TempTrees.create("gc-task-"));
  }
}
