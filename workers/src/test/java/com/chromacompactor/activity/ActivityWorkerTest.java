package com.chromacompactor.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.metrics.MetricDimensions;
import com.chromacompactor.metrics.MetricSink;
import com.chromacompactor.metrics.RecordingSink;
import com.chromacompactor.statemachine.contract.ChunkResult;
import com.chromacompactor.statemachine.contract.ChunkTask;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.HistoryEventType;

/** The worker against LocalStack's Step Functions: real activities, real executions, no mocks. */
class ActivityWorkerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHUNK_INPUT =
      "{\"batchId\":\"b-1\",\"planKey\":\"plans/b-1/chunks.json\",\"chunkIndex\":2,\"mode\":\"SEQUENTIAL\"}";
  private static final Duration WAIT = Duration.ofSeconds(30);

  /**
   * AWS names a missed heartbeat States.HeartbeatTimeout; LocalStack 4.14 reports States.Timeout
   * for activities. The workflow retries both (ErrorNames.RETRYABLE).
   */
  private static final List<String> HEARTBEAT_TIMEOUTS =
      List.of(ErrorNames.STATES_HEARTBEAT_TIMEOUT, ErrorNames.STATES_TIMEOUT);

  private static AwsClients clients;
  private static SfnClient sfn;

  @BeforeAll
  static void connect() {
    clients = LocalStackWorkflow.clients();
    sfn = clients.stepFunctions();
    LocalStackWorkflow.requireLocalStack(sfn);
  }

  @AfterAll
  static void disconnect() {
    sfn.close();
  }

  @Test
  void activityTaskSucceedsWithTheHandlersOutput() throws Exception {
    try (var wf = LocalStackWorkflow.create(sfn, "ok", 10, null);
        var worker =
            worker(
                wf,
                1,
                Duration.ofSeconds(1),
                (input, ctx) -> {
                  ChunkTask task = TaskInput.read(input, ChunkTask.class);
                  return TaskInput.write(
                      new ChunkResult(
                          "intermediate/" + task.batchId() + "/chunk-" + task.chunkIndex() + "/",
                          390,
                          15,
                          480));
                })) {
      DescribeExecutionResponse d = wf.await(wf.start(CHUNK_INPUT), WAIT);
      assertEquals(ExecutionStatus.SUCCEEDED, d.status());
      assertEquals(
          JSON.readTree(
              "{\"intermediatePrefix\":\"intermediate/b-1/chunk-2/\",\"embeddings\":390,"
                  + "\"deltasProcessed\":15,\"recordsRead\":480}"),
          JSON.readTree(d.output()));
      HistoryEvent started = event(wf.history(d.executionArn()), HistoryEventType.ACTIVITY_STARTED);
      assertEquals("test-worker-CompactChunk", started.activityStartedEventDetails().workerName());
      awaitTrue(() -> worker.counters().tasksSucceeded() == 1, "the success counted");
    }
  }

  @Test
  void taskFailureFailsTheExecutionWithItsErrorAndCause() throws Exception {
    String cause =
        "delta deltas/b/: CORRUPT_HNSW: data_level0.bin: expected 6284 bytes per element, found 6280";
    try (var wf = LocalStackWorkflow.create(sfn, "corrupt", 10, null);
        var worker =
            worker(
                wf,
                1,
                Duration.ofSeconds(1),
                (input, ctx) -> {
                  throw new TaskFailure(ErrorNames.CORRUPT_DELTA, cause);
                })) {
      DescribeExecutionResponse d = wf.await(wf.start(CHUNK_INPUT), WAIT);
      assertEquals(ExecutionStatus.FAILED, d.status());
      assertEquals(ErrorNames.CORRUPT_DELTA, d.error());
      assertEquals(cause, d.cause());
      assertEquals(1, worker.counters().tasksFailed());
    }
  }

  @Test
  void inputThatIsNotTheContractFailsAsInvalidInput() throws Exception {
    try (var wf = LocalStackWorkflow.create(sfn, "badinput", 10, null);
        var worker =
            worker(
                wf,
                1,
                Duration.ofSeconds(1),
                (input, ctx) -> {
                  TaskInput.read(input, ChunkTask.class);
                  return "{}";
                })) {
      DescribeExecutionResponse d = wf.await(wf.start("{\"chunkIndex\":\"two\"}"), WAIT);
      assertEquals(ErrorNames.INVALID_INPUT, d.error());
      assertTrue(d.cause().startsWith("input is not a valid ChunkTask: "), d.cause());
      assertTrue(d.cause().contains("chunkIndex") || d.cause().contains("two"), d.cause());
      assertEquals(1, worker.counters().tasksFailed());
    }
  }

  @Test
  void unexpectedFailureIsReportedWithACauseClippedToTheApiLimit() throws Exception {
    String huge = "x".repeat(40_000);
    try (var wf = LocalStackWorkflow.create(sfn, "unexpected", 10, null);
        var worker =
            worker(
                wf,
                1,
                Duration.ofSeconds(1),
                (input, ctx) -> {
                  throw new IllegalStateException(huge);
                })) {
      DescribeExecutionResponse d = wf.await(wf.start(CHUNK_INPUT), WAIT);
      assertEquals(ErrorNames.UNEXPECTED, d.error());
      assertEquals(TaskReporter.MAX_CAUSE_LENGTH, d.cause().length());
      assertTrue(
          d.cause().startsWith("java.lang.IllegalStateException: xxx"), d.cause().substring(0, 80));
      assertTrue(d.cause().endsWith("[clipped]"));
      assertEquals(1, worker.counters().tasksFailed());
    }
  }

  @Test
  void pollerGoesOnPollingWhilePermitsRemain() throws Exception {
    CountDownLatch bothRunning = new CountDownLatch(2);
    try (var wf = LocalStackWorkflow.create(sfn, "two", 10, null);
        var worker =
            worker(
                wf,
                2,
                Duration.ofSeconds(1),
                (input, ctx) -> {
                  bothRunning.countDown();
                  // Finishes only if the other task runs at the same time, on another thread.
                  return "{\"together\":" + bothRunning.await(20, TimeUnit.SECONDS) + "}";
                })) {
      String a = wf.start(CHUNK_INPUT);
      String b = wf.start(CHUNK_INPUT);
      assertEquals("{\"together\":true}", wf.await(a, WAIT).output());
      assertEquals("{\"together\":true}", wf.await(b, WAIT).output());
      awaitTrue(() -> worker.counters().tasksSucceeded() == 2, "both successes counted");
    }
  }

  @Test
  void heartbeatsKeepATaskAlivePastHeartbeatSeconds() throws Exception {
    try (var wf = LocalStackWorkflow.create(sfn, "longtask", 3, null);
        var worker =
            worker(
                wf,
                1,
                Duration.ofSeconds(1),
                (input, ctx) -> {
                  sleepChecking(ctx, Duration.ofSeconds(8));
                  return "{\"slept\":8}";
                })) {
      DescribeExecutionResponse d = wf.await(wf.start(CHUNK_INPUT), WAIT);
      assertEquals(
          ExecutionStatus.SUCCEEDED,
          d.status(),
          () -> String.valueOf(wf.history(d.executionArn())));
      assertEquals("{\"slept\":8}", d.output());
      assertEquals(0, worker.counters().tasksCancelled());
    }
  }

  @Test
  void refusedHeartbeatCancelsTheTaskAndReportsNothing() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    CountDownLatch handlerEnded = new CountDownLatch(1);
    // The worker heartbeats every 4 s, after the 2 s HeartbeatSeconds: the first heartbeat is
    // refused.
    try (var wf = LocalStackWorkflow.create(sfn, "refused", 2, null);
        var worker =
            worker(
                wf,
                1,
                Duration.ofSeconds(4),
                (input, ctx) -> {
                  try {
                    sleepChecking(ctx, Duration.ofSeconds(30));
                    return "{}";
                  } catch (TaskCancelledException e) {
                    seen.add("cancelled: " + e.getMessage());
                    throw e;
                  } finally {
                    handlerEnded.countDown();
                  }
                })) {
      DescribeExecutionResponse d = wf.await(wf.start(CHUNK_INPUT), WAIT);
      assertTrue(HEARTBEAT_TIMEOUTS.contains(d.error()), d.error());
      assertTrue(handlerEnded.await(10, TimeUnit.SECONDS), "the handler was not cancelled");
      assertEquals(1, seen.size(), seen::toString);
      assertTrue(seen.get(0).contains("no longer ours"), seen::toString);
      awaitTrue(() -> worker.counters().tasksCancelled() == 1, "the task counted as cancelled");
      assertEquals(0, worker.counters().tasksFailed());
      assertEquals(0, worker.counters().tasksSucceeded());
    }
  }

  @Test
  void stoppedHeartbeatsLetTheStateMachineRetryOnAnotherWorker() throws Exception {
    String retry =
        "[{\"ErrorEquals\":[\"States.HeartbeatTimeout\",\"States.Timeout\"],\"IntervalSeconds\":1,"
            + "\"MaxAttempts\":2,"
            + "\"BackoffRate\":1.0}]";
    CountDownLatch firstTaken = new CountDownLatch(1);
    try (var wf = LocalStackWorkflow.create(sfn, "killed", 3, retry)) {
      ActivityWorker killed =
          worker(
              wf,
              1,
              Duration.ofSeconds(1),
              (input, ctx) -> {
                firstTaken.countDown();
                sleepChecking(ctx, Duration.ofSeconds(60));
                return "{\"by\":\"first\"}";
              });
      String exec = wf.start(CHUNK_INPUT);
      assertTrue(firstTaken.await(20, TimeUnit.SECONDS), "the first worker never got the task");
      killed.abandon(); // as SIGKILL: no more heartbeats, no report
      try (var second =
          worker(
              wf,
              1,
              Duration.ofSeconds(1),
              (input, ctx) -> {
                ChunkTask t = TaskInput.read(input, ChunkTask.class);
                return "{\"by\":\"second\",\"chunk\":" + t.chunkIndex() + "}";
              })) {
        DescribeExecutionResponse d = wf.await(exec, WAIT);
        assertEquals(ExecutionStatus.SUCCEEDED, d.status(), () -> String.valueOf(wf.history(exec)));
        assertEquals("{\"by\":\"second\",\"chunk\":2}", d.output());
        List<HistoryEvent> history = wf.history(exec);
        HistoryEvent timedOut = event(history, HistoryEventType.ACTIVITY_TIMED_OUT);
        assertTrue(HEARTBEAT_TIMEOUTS.contains(timedOut.activityTimedOutEventDetails().error()));
        assertEquals(
            2, history.stream().filter(e -> e.type() == HistoryEventType.ACTIVITY_STARTED).count());
        assertEquals(0, killed.counters().tasksSucceeded() + killed.counters().tasksFailed());
        awaitTrue(
            () -> second.counters().tasksSucceeded() == 1, "the second worker's success counted");
      }
    }
  }

  @Test
  void stopPastItsDeadlineFailsTheInFlightTaskAsWorkerInterrupted() throws Exception {
    CountDownLatch taken = new CountDownLatch(1);
    List<String> seen = new CopyOnWriteArrayList<>();
    try (var wf = LocalStackWorkflow.create(sfn, "interrupted", 10, null)) {
      ActivityWorker worker =
          worker(
              wf,
              1,
              Duration.ofSeconds(1),
              (input, ctx) -> {
                ctx.progress("delta 3/15");
                taken.countDown();
                try {
                  sleepChecking(ctx, Duration.ofSeconds(60));
                } catch (TaskCancelledException e) {
                  seen.add(e.getMessage());
                  throw e;
                }
                return "{}";
              });
      String exec = wf.start(CHUNK_INPUT);
      assertTrue(taken.await(20, TimeUnit.SECONDS));
      Instant before = Instant.now();
      worker.stop(Duration.ofSeconds(2));
      Duration took = Duration.between(before, Instant.now());
      assertTrue(took.compareTo(Duration.ofSeconds(6)) < 0, "stop took " + took);
      DescribeExecutionResponse d = wf.await(exec, WAIT);
      assertEquals(ErrorNames.WORKER_INTERRUPTED, d.error());
      assertTrue(d.cause().contains("test-worker stopped"), d.cause());
      assertTrue(d.cause().endsWith("last progress: delta 3/15"), d.cause());
      assertEquals(List.of("CompactChunk#1: the worker is stopping"), seen);
      assertEquals(1, worker.counters().tasksInterrupted());
      assertEquals(0, worker.tasksInFlight());
    }
  }

  @Test
  void stopLetsAnInFlightTaskFinishAndHandsBackATaskThatAPollBringsLate() throws Exception {
    CountDownLatch taken = new CountDownLatch(1);
    try (var wf = LocalStackWorkflow.create(sfn, "drain", 10, null)) {
      ActivityWorker worker =
          worker(
              wf,
              2,
              Duration.ofSeconds(1),
              (input, ctx) -> {
                taken.countDown();
                sleepChecking(ctx, Duration.ofSeconds(3));
                return "{\"finished\":true}";
              });
      String first = wf.start(CHUNK_INPUT);
      assertTrue(taken.await(20, TimeUnit.SECONDS));
      awaitTrue(
          () -> worker.freeSlots() == 1 && worker.pollsOpen() == 1,
          "the task holds one slot while the next poll is open");
      Thread stopping = new Thread(() -> worker.stop(Duration.ofSeconds(20)));
      stopping.start();
      // The poll already in progress when stop() began is not cut: it takes this task, which goes
      // straight back.
      String late = wf.start(CHUNK_INPUT);
      DescribeExecutionResponse handedBack = wf.await(late, WAIT);
      assertEquals(ErrorNames.WORKER_INTERRUPTED, handedBack.error());
      assertTrue(
          handedBack
              .cause()
              .endsWith("was stopping when CompactChunk arrived; handed back for a retry"),
          handedBack.cause());
      assertEquals("{\"finished\":true}", wf.await(first, WAIT).output());
      stopping.join(10_000);
      assertFalse(stopping.isAlive(), "stop() did not return after the task finished");
      assertEquals(2, worker.counters().tasksStarted());
      assertEquals(1, worker.counters().tasksSucceeded());
      assertEquals(1, worker.counters().tasksInterrupted());
    }
  }

  @Test
  void handlerFiguresAndMemorySamplesCarryTheTaskDimensions() throws Exception {
    RecordingSink sink = new RecordingSink();
    MetricDimensions task = new MetricDimensions("b-1", "receipt_words");
    try (var wf = LocalStackWorkflow.create(sfn, "metrics", 10, null);
        var worker =
            worker(
                wf,
                1,
                Duration.ofSeconds(1),
                sink,
                (input, ctx) -> {
                  ChunkTask t = TaskInput.read(input, ChunkTask.class);
                  ctx.metrics().batch(t.batchId()).collection("receipt_words");
                  ctx.metrics().mode(t.mode());
                  ctx.metrics().deltaProcessed(Duration.ofMillis(250), 500);
                  sleepChecking(ctx, Duration.ofMillis(1_500)); // the sampler runs every 500 ms
                  return "{}";
                })) {
      assertEquals(ExecutionStatus.SUCCEEDED, wf.await(wf.start(CHUNK_INPUT), WAIT).status());
      for (MetricDimensions dims : List.of(task, MetricDimensions.NONE)) {
        assertEquals(List.of(250.0), values(sink, MetricNames.DELTA_PROCESSING_MS, dims));
        assertEquals(List.of(1.0), values(sink, MetricNames.DELTAS_PROCESSED, dims));
        assertEquals(List.of(2000.0), values(sink, MetricNames.EMBEDDINGS_PER_SECOND, dims));
        assertEquals(List.of(1.0), values(sink, MetricNames.MODE, dims), "SEQUENTIAL is 1");
      }
      assertFalse(
          sink.named(MetricNames.MEMORY_USAGE_PERCENT, task).isEmpty(),
          "no memory sample for the task");
      assertFalse(sink.named(MetricNames.MEMORY_USAGE_PERCENT, MetricDimensions.NONE).isEmpty());
      for (var m : sink.named(MetricNames.MEMORY_USAGE_PERCENT)) {
        assertTrue(m.value() > 0 && m.value() <= 100, "percent " + m.value());
      }
      assertFalse(sink.named(MetricNames.PEAK_RSS_MB, MetricDimensions.NONE).isEmpty());
      assertEquals(0, worker.counters().pollErrors());
    }
    assertEquals(CompactionMode.SEQUENTIAL, JSON.readValue(CHUNK_INPUT, ChunkTask.class).mode());
  }

  // ---------------------------------------------------------------- helpers

  private static ActivityWorker worker(
      LocalStackWorkflow wf, int concurrency, Duration heartbeat, ActivityHandler handler) {
    return worker(wf, concurrency, heartbeat, MetricSink.DISCARD, handler);
  }

  private static ActivityWorker worker(
      LocalStackWorkflow wf,
      int concurrency,
      Duration heartbeat,
      MetricSink sink,
      ActivityHandler handler) {
    WorkerConfig config =
        new WorkerConfig(
            Map.of(WorkflowStep.COMPACT_CHUNK, wf.activityArn),
            "test-worker",
            concurrency,
            heartbeat,
            Duration.ofSeconds(2),
            "Test/ActivityWorker",
            Duration.ofMillis(500));
    return new ActivityWorker(config, Map.of(WorkflowStep.COMPACT_CHUNK, handler), clients, sink)
        .start();
  }

  /**
   * Sleeps in small steps, as a handler working through deltas would, checking for cancellation
   * between them.
   */
  private static void sleepChecking(TaskContext ctx, Duration total) throws Exception {
    Instant end = Instant.now().plus(total);
    while (Instant.now().isBefore(end)) {
      ctx.checkCancelled();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        ctx.checkCancelled(); // interrupted because the task was cancelled: say so
        throw e;
      }
    }
    ctx.checkCancelled();
  }

  private static List<Double> values(RecordingSink sink, String name, MetricDimensions dims) {
    return sink.named(name, dims).stream().map(m -> m.value()).toList();
  }

  private static HistoryEvent event(List<HistoryEvent> history, HistoryEventType type) {
    return history.stream()
        .filter(e -> e.type() == type)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " in " + history));
  }

  private static void awaitTrue(BooleanSupplier condition, String what)
      throws InterruptedException {
    Instant end = Instant.now().plusSeconds(15);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(end)) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }
}
