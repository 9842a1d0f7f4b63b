package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.chromacompactor.activity.ActivityWorker;
import com.chromacompactor.activity.WorkerConfig;
import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.aws.Resilience;
import com.chromacompactor.metrics.MetricSink;
import com.chromacompactor.statemachine.contract.AslTemplate;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.FolderTransfer;
import com.chromacompactor.storage.S3BlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.ChromaPython;
import com.chromacompactor.testing.LocalStackHealth;
import com.chromacompactor.testing.Scenario;
import com.chromacompactor.testing.Series;
import com.chromacompactor.testing.TempTrees;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;

/**
 * The workflow end to end on LocalStack: the state machine created from the exported definition,
 * activities polled by real workers, deltas made by chromadb in S3, and the published snapshot
 * opened by chromadb and compared with the oracle. The tests run in order on one bucket, each batch
 * merging on top of the snapshot the previous one published.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkflowOnLocalStackTest {
  private static final Duration EXECUTION_TIMEOUT = Duration.ofMinutes(4);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Scenario scenario;
  private static AwsClients clients;
  private static S3Client s3;
  private static SfnClient sfn;
  private static String bucket;
  private static S3BlobStore store;
  private static Workflow main;
  private static ActivityWorker worker;
  private static Path tmp;

  /** Deltas uploaded so far, in merge order: the oracle of what the latest snapshot must hold. */
  private static final List<Path> uploaded = new ArrayList<>();

  /** One state machine with its own activities. */
  private record Workflow(String stateMachineArn, Map<WorkflowStep, String> activities) {}

  @BeforeAll
  static void setUp() throws Exception {
    LocalStackHealth.require();
    scenario = Scenario.get();
    tmp = TempTrees.create("e2e-");
    clients = new AwsClients(AwsSettings.localStack());
    s3 = clients.s3();
    sfn = clients.stepFunctions();
    bucket = "compactor-e2e-" + UUID.randomUUID().toString().substring(0, 8);
    s3.createBucket(b -> b.bucket(bucket));
    store = new S3BlobStore(s3, bucket, Resilience.standard("s3"));
    main = createWorkflow("main", Map.of());
    worker = startWorker("worker-a", main, List.of(WorkflowStep.values()));
  }

  @AfterAll
  static void tearDown() {
    if (worker != null) {
      worker.stop(Duration.ofSeconds(5));
    }
  }

  @Test
  @Order(1)
  void smallBatchTakesTheParallelBranchAndPublishesWhatChromaWouldHold() throws Exception {
    upload(scenario.delta("00-base"));
    String execution = startExecution(main, "small");
    List<HistoryEvent> history = awaitSuccess(execution);
    assertEntered(history, "ParallelMode");
    assertEntered(history, "Publish");
    assertLatestAnswersLikeTheOracle();
  }

  @Test
  @Order(2)
  void largeBatchTakesTheSequentialBranchOnTopOfThePublishedSnapshot() throws Exception {
    String before = latest();
    for (String name :
        List.of("01-big", "02-lines-tombstones", "03-legacy-pickle", "04-tombstones-only")) {
      upload(scenario.delta(name));
    }
    String execution = startExecution(main, "large");
    List<HistoryEvent> history = awaitSuccess(execution);
    assertEntered(history, "SequentialMode");
    assertTrue(!before.equals(latest()), "latest moved on from " + before);
    ChromaDumps.assertSameRecordsAndNeighbours(scenario.oracle, dumpLatest());
  }

  @Test
  @Order(3)
  void twoExecutionsAtOncePublishExactlyOnce() throws Exception {
    Path extra = tmp.resolve("05-extra-lines");
    ChromaPython.run("tiny", extra, "lines", "l2", 1536, 5);
    upload(extra);
    String before = latest();
    String first = startExecution(main, "twin-a");
    String second = startExecution(main, "twin-b");
    List<HistoryEvent> a = awaitSuccess(first);
    List<HistoryEvent> b = awaitSuccess(second);
    int published = (entered(a, "Publish") ? 1 : 0) + (entered(b, "Publish") ? 1 : 0);
    assertEquals(1, published, "exactly one execution publishes");
    assertTrue(
        entered(a, "NothingToCompact") || entered(b, "NothingToCompact"),
        "the other finds nothing to do");
    assertTrue(!before.equals(latest()));
    assertLatestAnswersLikeTheOracle();
  }

  @Test
  @Order(4)
  void chunkOfAKilledWorkerIsRetriedByAnotherWithTheSameResult() throws Exception {
    // A state machine of its own, with a 5 s heartbeat: the killed worker's chunk times out
    // quickly.
    Workflow quick = createWorkflow("quick", Map.of("HeartbeatSeconds", 5));
    Path extra = tmp.resolve("06-extra-words");
    ChromaPython.run("tiny", extra, "words", "cosine", 1536, 7);
    upload(extra);
    Process doomed = startSlowChunkWorker(quick);
    ActivityWorker others =
        startWorker(
            "worker-c",
            quick,
            List.of(
                WorkflowStep.PLAN,
                WorkflowStep.FINAL_MERGE,
                WorkflowStep.PUBLISH,
                WorkflowStep.CLEANUP,
                WorkflowStep.COLLECT_GARBAGE));
    ActivityWorker rescuer = null;
    try {
      String execution = startExecution(quick, "killed");
      awaitEvent(
          execution, "ActivityStarted", "-CompactChunk"); // only the slow worker polls it yet
      doomed
          .destroyForcibly()
          .waitFor(); // SIGKILL: no failure is reported, the heartbeats just stop
      rescuer = startWorker("worker-d", quick, List.of(WorkflowStep.COMPACT_CHUNK));
      List<HistoryEvent> history = awaitSuccess(execution);
      assertTrue(
          history.stream().anyMatch(e -> e.typeAsString().equals("ActivityTimedOut")),
          "the killed worker's chunk timed out on its heartbeat");
      assertEntered(history, "Publish");
    } finally {
      doomed.destroyForcibly();
      others.stop(Duration.ofSeconds(5));
      if (rescuer != null) {
        rescuer.stop(Duration.ofSeconds(5));
      }
    }
    assertLatestAnswersLikeTheOracle();
  }

  @Test
  @Order(5)
  void manyChunksFanOutThroughTheDistributedMapReadingThePlanFromS3() throws Exception {
    // The same definition with the fan-out threshold at 0: every plan takes the Distributed Map.
    Workflow distributed =
        createWorkflow(
            "distributed",
            Map.of(),
            root ->
                ((ObjectNode) root.path("States").path("SelectFanOut").path("Choices").get(0))
                    .put("NumericGreaterThan", 0));
    Path extra = tmp.resolve("07-extra-receipts");
    ChromaPython.run("tiny", extra, "receipts", "ip", 1536, 4);
    upload(extra);
    ActivityWorker workers = startWorker("worker-e", distributed, List.of(WorkflowStep.values()));
    try {
      List<HistoryEvent> history = awaitSuccess(startExecution(distributed, "fan-out"));
      assertEntered(history, "CompactChunksDistributed");
      assertTrue(
          history.stream().anyMatch(e -> e.typeAsString().startsWith("MapRun")),
          "the chunks ran as a Map Run: " + summary(history));
    } finally {
      workers.stop(Duration.ofSeconds(5));
    }
    assertLatestAnswersLikeTheOracle();
  }

  @Test
  @Order(6)
  void twoLineagesCompactedByTwoExecutionsAtOnceStayApart() throws Exception {
    Series series = Series.get();
    String rootLatest = latest();
    for (int i = 0; i < 3; i++) {
      DeltaPush.push(store, Lineage.of("words"), series.delta(i), "d" + i, i, "test");
      DeltaPush.push(store, Lineage.of("lines"), series.delta(i + 3), "d" + i, i, "test");
    }
    String words = startExecution(main, "words", "{\"lineage\": \"words\"}");
    String lines = startExecution(main, "lines", "{\"lineage\": \"lines\"}");
    assertEntered(awaitSuccess(words), "Publish");
    assertEntered(awaitSuccess(lines), "Publish");
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2)), dumpLatest("words/"));
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(3, 4, 5)), dumpLatest("lines/"));
    assertEquals(rootLatest, latest(), "the unnamed line's latest is untouched");
    OutputManifest wordsSnapshot =
        new BatchStore(store, Lineage.of("words"))
            .manifest(
                new String(store.get("words/latest").orElseThrow().body(), StandardCharsets.UTF_8))
            .orElseThrow();
    assertEquals(List.of("deltas/d0/", "deltas/d1/", "deltas/d2/"), wordsSnapshot.deltaKeys());
    assertEquals(
        List.of("deltas/d0/", "deltas/d1/", "deltas/d2/"),
        new BatchStore(store, Lineage.of("lines")).processedDeltas().stream().sorted().toList());
  }

  @Test
  @Order(7)
  void theExampleProducersDeltaGoesThroughTheWorkflow() throws Exception {
    Path delta = tmp.resolve("example-delta");
    ProcessBuilder pb =
        new ProcessBuilder(
            ChromaPython.interpreter().toString(),
            Path.of("../examples/producer.py").toAbsolutePath().normalize().toString(),
            "--bucket",
            bucket,
            "--endpoint-url",
            "http://127.0.0.1:4566",
            "--lineage",
            "examples",
            "--name",
            "from-python",
            "--records",
            "60",
            "--seed",
            "11",
            "--out",
            delta.toString());
    pb.environment().put("AWS_ACCESS_KEY_ID", "test");
    pb.environment().put("AWS_SECRET_ACCESS_KEY", "test");
    pb.environment().put("AWS_DEFAULT_REGION", "us-east-1");
    Process p = pb.redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), output);
    assertTrue(
        output.contains("committed s3://" + bucket + "/examples/deltas/from-python/"), output);
    byte[] marker =
        store.get("examples/deltas/from-python/" + DeltaMarker.FILE).orElseThrow().body();
    DeltaMarker parsed = DeltaMarker.parse("examples/deltas/from-python/", marker);
    assertTrue(parsed.files().orElseThrow().size() >= 2, "the marker lists the files: " + parsed);

    assertEntered(
        awaitSuccess(startExecution(main, "example", "{\"lineage\": \"examples\"}")), "Publish");
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(List.of(delta)), dumpLatest("examples/"));
  }

  @Test
  @Order(8)
  void aMarkedDeltaWhoseFilesAreStillUploadingWaitsAndTheNextExecutionTakesIt() throws Exception {
    Series series = Series.get();
    Lineage parts = Lineage.of("parts");
    DeltaPush.push(store, parts, series.delta(0), "first", 0, "test");
    // delta 1: its marker is there, but only chroma.sqlite3 of the files it lists
    Path one = series.delta(1);
    List<Path> files;
    try (var walk = Files.walk(one)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    List<DeltaMarker.FileEntry> entries = new ArrayList<>();
    for (Path f : files) {
      entries.add(
          new DeltaMarker.FileEntry(
              one.relativize(f).toString(), Files.size(f), OutputManifest.sha256(f)));
    }
    String key = "parts/deltas/second/";
    store.put(
        key + DeltaMarker.FILE, new DeltaMarker(1, Optional.of(entries), "test", null).toJson());
    store.upload(one.resolve("chroma.sqlite3"), key + "chroma.sqlite3");

    String first = startExecution(main, "parts-1", "{\"lineage\": \"parts\"}");
    assertEntered(awaitSuccess(first), "Publish");
    JsonNode plan =
        JSON.readTree(sfn.describeExecution(b -> b.executionArn(first)).output()).path("plan");
    assertEquals(1, plan.path("waitingDeltas").asInt(), plan.toString());
    assertEquals("parts", plan.path("lineage").asText());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0)), dumpLatest("parts/"));

    for (Path f : files) {
      store.upload(f, key + one.relativize(f));
    }
    String second = startExecution(main, "parts-2", "{\"lineage\": \"parts\"}");
    assertEntered(awaitSuccess(second), "Publish");
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1)), dumpLatest("parts/"));
  }

  // ---------------------------------------------------------------- helpers

  private static Workflow createWorkflow(String name, Map<String, Integer> chunkTaskOverrides)
      throws Exception {
    return createWorkflow(name, chunkTaskOverrides, root -> {});
  }

  /** A state machine from the exported definition, with its own activities and an optional edit. */
  private static Workflow createWorkflow(
      String name, Map<String, Integer> chunkTaskOverrides, Consumer<JsonNode> edit)
      throws Exception {
    Map<WorkflowStep, String> arns = new EnumMap<>(WorkflowStep.class);
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    for (WorkflowStep step : WorkflowStep.values()) {
      arns.put(
          step,
          sfn.createActivity(b -> b.name(name + "-" + step.stateName() + "-" + suffix))
              .activityArn());
    }
    JsonNode root = JSON.readTree(AslTemplate.bind(AslTemplate.load(), bucket, arns));
    for (JsonNode state : root.findParents("Resource")) {
      if (state.path("Resource").asText().equals(arns.get(WorkflowStep.COMPACT_CHUNK))) {
        chunkTaskOverrides.forEach(((ObjectNode) state)::put);
      }
    }
    edit.accept(root);
    String definition = JSON.writeValueAsString(root);
    String arn =
        sfn.createStateMachine(
                b ->
                    b.name("compactor-" + name + "-" + suffix)
                        .definition(definition)
                        .roleArn("arn:aws:iam::000000000000:role/compactor-e2e"))
            .stateMachineArn();
    return new Workflow(arn, arns);
  }

  private static ActivityWorker startWorker(
      String name, Workflow workflow, List<WorkflowStep> steps) {
    Map<WorkflowStep, String> arns = new EnumMap<>(WorkflowStep.class);
    steps.forEach(s -> arns.put(s, workflow.activities().get(s)));
    WorkerConfig config =
        new WorkerConfig(
            arns,
            name,
            2,
            Duration.ofSeconds(1),
            Duration.ofSeconds(10),
            "ChromaDB/Compaction",
            Duration.ofSeconds(30));
    var handlers = WorkflowSteps.over(store, ChunkSizes.defaults());
    return new ActivityWorker(config, handlers, clients, MetricSink.DISCARD).start();
  }

  /**
   * A separate JVM holding only the CompactChunk activity, slowed down so it can be killed
   * mid-chunk.
   */
  private static Process startSlowChunkWorker(Workflow workflow) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            SlowChunkWorker.class.getName());
    Map<String, String> env = pb.environment();
    env.put(WorkerEnvironment.BUCKET, bucket);
    env.put(AwsSettings.ENDPOINT_VARIABLE, "http://127.0.0.1:4566");
    env.put("AWS_REGION", "us-east-1");
    env.put(
        WorkflowStep.COMPACT_CHUNK.arnVariable(),
        workflow.activities().get(WorkflowStep.COMPACT_CHUNK));
    env.put(WorkerEnvironment.HEARTBEAT_INTERVAL_SECONDS, "1");
    // one slot: a second open poll of the killed process could otherwise take the retried chunk
    env.put(WorkerEnvironment.CONCURRENCY, "1");
    env.put(SlowChunkWorker.DELAY_VARIABLE, "120000");
    pb.redirectErrorStream(true).redirectOutput(tmp.resolve("slow-worker.log").toFile());
    return pb.start();
  }

  /** Commits a delta as a producer does (files, then its marker), in upload order. */
  private static void upload(Path delta) throws Exception {
    DeltaPush.push(
        store, Lineage.NONE, delta, delta.getFileName().toString(), uploaded.size(), "test");
    uploaded.add(delta);
  }

  private static String startExecution(Workflow workflow, String name) {
    return startExecution(workflow, name, "{}");
  }

  private static String startExecution(Workflow workflow, String name, String input) {
    String unique = name + "-" + UUID.randomUUID().toString().substring(0, 8);
    return sfn.startExecution(
            b -> b.stateMachineArn(workflow.stateMachineArn()).name(unique).input(input))
        .executionArn();
  }

  private static List<HistoryEvent> awaitSuccess(String executionArn) throws Exception {
    long deadline = System.nanoTime() + EXECUTION_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      var d = sfn.describeExecution(b -> b.executionArn(executionArn));
      if (d.status() != ExecutionStatus.RUNNING) {
        List<HistoryEvent> history = history(executionArn);
        assertEquals(
            ExecutionStatus.SUCCEEDED,
            d.status(),
            "execution "
                + executionArn
                + " ended "
                + d.status()
                + ": "
                + d.error()
                + " "
                + d.cause()
                + "\nhistory: "
                + summary(history));
        return history;
      }
      Thread.sleep(500);
    }
    fail(
        "execution "
            + executionArn
            + " still running after "
            + EXECUTION_TIMEOUT
            + ": "
            + summary(history(executionArn)));
    return null;
  }

  /** Waits for an event of {@code type} by a poller whose name ends with {@code pollerSuffix}. */
  private static void awaitEvent(String executionArn, String type, String pollerSuffix)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      for (HistoryEvent e : history(executionArn)) {
        if (e.typeAsString().equals(type)
            && e.activityStartedEventDetails() != null
            && String.valueOf(e.activityStartedEventDetails().workerName())
                .endsWith(pollerSuffix)) {
          return;
        }
      }
      Thread.sleep(200);
    }
    fail("no " + type + " by *" + pollerSuffix + " in " + summary(history(executionArn)));
  }

  private static List<HistoryEvent> history(String executionArn) {
    List<HistoryEvent> out = new ArrayList<>();
    sfn.getExecutionHistoryPaginator(b -> b.executionArn(executionArn)).events().forEach(out::add);
    return out;
  }

  private static boolean entered(List<HistoryEvent> history, String state) {
    return history.stream()
        .anyMatch(
            e ->
                e.stateEnteredEventDetails() != null
                    && state.equals(e.stateEnteredEventDetails().name()));
  }

  private static void assertEntered(List<HistoryEvent> history, String state) {
    assertTrue(entered(history, state), "state " + state + " not entered: " + summary(history));
  }

  private static String summary(List<HistoryEvent> history) {
    List<String> out = new ArrayList<>();
    for (HistoryEvent e : history) {
      String detail =
          e.stateEnteredEventDetails() != null
              ? e.stateEnteredEventDetails().name()
              : e.activityFailedEventDetails() != null
                  ? e.activityFailedEventDetails().error()
                      + ": "
                      + e.activityFailedEventDetails().cause()
                  : e.executionFailedEventDetails() != null
                      ? e.executionFailedEventDetails().error()
                          + ": "
                          + e.executionFailedEventDetails().cause()
                      : "";
      out.add(e.typeAsString() + (detail.isEmpty() ? "" : "(" + detail + ")"));
    }
    return String.join(", ", out);
  }

  private static String latest() {
    return s3.getObjectAsBytes(b -> b.bucket(bucket).key(StorageLayout.LATEST_KEY))
        .asString(StandardCharsets.UTF_8);
  }

  private static JsonNode dumpLatest() throws Exception {
    return dumpLatest("");
  }

  /** What chromadb answers for the snapshot that {@code <root>latest} names. */
  private static JsonNode dumpLatest(String root) throws Exception {
    Path local = Files.createTempDirectory(tmp, "latest-");
    String prefix =
        new String(
            store.get(root + StorageLayout.LATEST_KEY).orElseThrow().body(),
            StandardCharsets.UTF_8);
    FolderTransfer.download(store, root + prefix, local);
    return ChromaDumps.dump(local);
  }

  private static void assertLatestAnswersLikeTheOracle() throws Exception {
    Path out = Files.createTempFile(tmp, "oracle-", ".json");
    ChromaPython.run("oracle", out, uploaded);
    ChromaDumps.assertSameRecordsAndNeighbours(JSON.readTree(out.toFile()), dumpLatest());
  }
}
