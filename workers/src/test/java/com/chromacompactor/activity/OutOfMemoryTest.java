package com.chromacompactor.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.HistoryEventType;

/**
 * A real worker process runs out of memory in the middle of a task, against LocalStack's Step
 * Functions. With the worker image's own JAVA_TOOL_OPTIONS (read from workers/Dockerfile) the JVM
 * exits at once with status 3; without them the worker exits the same way. Either way Step
 * Functions sees the task's heartbeats stop, times it out and retries it, and another worker
 * completes it: no failure is sent (there is no out-of-memory error name) and nobody polls on.
 */
class OutOfMemoryTest {
  /** The container's memory limit, which a JVM outside a container is told with -XX:MaxRAM. */
  private static final String CONTAINER_MEMORY = "-XX:MaxRAM=256m";

  private static final Duration WAIT = Duration.ofSeconds(60);

  /** AWS reports States.HeartbeatTimeout; LocalStack 4.14 reports States.Timeout for activities. */
  private static final List<String> HEARTBEAT_TIMEOUTS =
      List.of(ErrorNames.STATES_HEARTBEAT_TIMEOUT, ErrorNames.STATES_TIMEOUT);

  private static SfnClient sfn;

  @BeforeAll
  static void connect() {
    sfn = LocalStackWorkflow.clients().stepFunctions();
    LocalStackWorkflow.requireLocalStack(sfn);
  }

  @AfterAll
  static void disconnect() {
    sfn.close();
  }

  @Test
  void withTheImagesJvmOptionsTheWorkerExitsAndStepFunctionsRetriesTheTaskElsewhere()
      throws Exception {
    String options = imageJavaToolOptions();
    assertTrue(options.contains("-XX:+ExitOnOutOfMemoryError"), options);
    String output = outOfMemoryThenRetried(options);
    assertTrue(
        output.contains("Terminating due to java.lang.OutOfMemoryError: Java heap space"), output);
  }

  @Test
  void withoutThemTheWorkerExitsTheSameWay() throws Exception {
    String output = outOfMemoryThenRetried(null);
    assertTrue(
        output.contains(
            "out of memory (Java heap space); the worker exits with status "
                + ActivityWorker.EXIT_OUT_OF_MEMORY),
        output);
  }

  /** Runs a worker that fills its heap, then one that fits; returns the first one's output. */
  private static String outOfMemoryThenRetried(String javaToolOptions) throws Exception {
    String retry =
        "[{\"ErrorEquals\":["
            + ErrorNames.RETRYABLE.stream()
                .map(n -> "\"" + n + "\"")
                .collect(Collectors.joining(","))
            + "],\"IntervalSeconds\":1,\"MaxAttempts\":2,\"BackoffRate\":1.0}]";
    try (var wf = LocalStackWorkflow.create(sfn, "oom", 3, retry)) {
      Process filling = worker(wf, "fill", javaToolOptions);
      String exec = wf.start("{\"chunkIndex\":0}");
      List<String> output = new ArrayList<>();
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(filling.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          output.add(line); // until the process ends and closes its output
        }
        assertTrue(filling.waitFor(30, TimeUnit.SECONDS), "the worker did not exit");
      } finally {
        filling.destroyForcibly();
      }
      String text = String.join("\n", output);
      assertTrue(output.contains("started"), text);
      assertEquals(ActivityWorker.EXIT_OUT_OF_MEMORY, filling.exitValue(), text);

      Process fitting = worker(wf, "fits", javaToolOptions);
      try {
        DescribeExecutionResponse d = wf.await(exec, WAIT);
        List<HistoryEvent> history = wf.history(exec);
        assertEquals(ExecutionStatus.SUCCEEDED, d.status(), history::toString);
        assertEquals("{\"fits\":true}", d.output());
        List<HistoryEvent> timedOut =
            history.stream().filter(e -> e.type() == HistoryEventType.ACTIVITY_TIMED_OUT).toList();
        assertEquals(1, timedOut.size(), history::toString);
        assertTrue(
            HEARTBEAT_TIMEOUTS.contains(timedOut.get(0).activityTimedOutEventDetails().error()),
            timedOut::toString);
        assertFalse(
            history.stream().anyMatch(e -> e.type() == HistoryEventType.ACTIVITY_FAILED),
            "the worker that ran out of memory sent nothing: " + history);
        assertEquals(
            2, history.stream().filter(e -> e.type() == HistoryEventType.ACTIVITY_STARTED).count());
      } finally {
        fitting.destroy();
        fitting.waitFor(15, TimeUnit.SECONDS);
        fitting.destroyForcibly();
      }
      return text;
    }
  }

  /** The JAVA_TOOL_OPTIONS that workers/Dockerfile sets for the worker, exactly. */
  private static String imageJavaToolOptions() throws IOException {
    Matcher m =
        Pattern.compile("(?m)^ENV JAVA_TOOL_OPTIONS=\"([^\"]*)\"$")
            .matcher(Files.readString(Path.of("Dockerfile")));
    assertTrue(m.find(), "no ENV JAVA_TOOL_OPTIONS line in workers/Dockerfile");
    return m.group(1);
  }

  private static Process worker(LocalStackWorkflow wf, String mode, String javaToolOptions)
      throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-modules",
            "jdk.incubator.vector",
            CONTAINER_MEMORY,
            "-cp",
            System.getProperty("java.class.path"),
            OutOfMemoryWorkerMain.class.getName(),
            mode);
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    if (javaToolOptions != null) {
      pb.environment().put("JAVA_TOOL_OPTIONS", javaToolOptions);
    }
    pb.environment().put(WorkflowStep.COMPACT_CHUNK.arnVariable(), wf.activityArn);
    pb.environment().put(AwsSettings.ENDPOINT_VARIABLE, "http://127.0.0.1:4566");
    pb.environment().put("AWS_REGION", "us-east-1");
    pb.environment().put(WorkerEnvironment.HEARTBEAT_INTERVAL_SECONDS, "1");
    pb.environment().put(WorkerEnvironment.CONCURRENCY, "1");
    pb.environment().put(WorkerEnvironment.STOP_TIMEOUT_SECONDS, "5");
    pb.environment().put(WorkerEnvironment.METRICS_NAMESPACE, "Test/OutOfMemory");
    pb.redirectErrorStream(true);
    return pb.start();
  }
}
