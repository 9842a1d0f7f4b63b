package com.chromacompactor.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;

/**
 * A real worker process, configured by environment variables, gets SIGTERM in the middle of a task.
 */
class SigtermTest {
  @Test
  void sigtermFailsTheInFlightTaskAsWorkerInterruptedWithinTheStopTimeout() throws Exception {
    try (SfnClient sfn = LocalStackWorkflow.clients().stepFunctions();
        var wf = LocalStackWorkflow.create(sfn, "sigterm", 30, null)) {
      LocalStackWorkflow.requireLocalStack(sfn);
      ProcessBuilder pb =
          new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-cp",
              System.getProperty("java.class.path"),
              WorkerProcessMain.class.getName());
      pb.environment().put(WorkflowStep.COMPACT_CHUNK.arnVariable(), wf.activityArn);
      pb.environment().put(AwsSettings.ENDPOINT_VARIABLE, "http://127.0.0.1:4566");
      pb.environment().put("AWS_REGION", "us-east-1");
      pb.environment().put(WorkerEnvironment.STOP_TIMEOUT_SECONDS, "5");
      pb.environment().put(WorkerEnvironment.HEARTBEAT_INTERVAL_SECONDS, "1");
      pb.environment().put(WorkerEnvironment.CONCURRENCY, "1");
      pb.environment().put(WorkerEnvironment.METRICS_NAMESPACE, "Test/Sigterm");
      pb.redirectError(ProcessBuilder.Redirect.INHERIT);
      Process worker = pb.start();
      try {
        String exec = wf.start("{\"chunkIndex\":0}");
        BufferedReader out =
            new BufferedReader(
                new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("started", out.readLine());
        Instant term = Instant.now();
        worker.destroy(); // SIGTERM, as ECS sends it
        assertTrue(worker.waitFor(10, TimeUnit.SECONDS), "the worker did not exit");
        Duration took = Duration.between(term, Instant.now());
        assertTrue(
            took.compareTo(Duration.ofSeconds(5)) < 0,
            "exit after " + took + ", past the 5 s stop timeout");
        assertTrue(
            took.compareTo(Duration.ofSeconds(3)) > 0, "the task got no time to finish: " + took);
        DescribeExecutionResponse d = wf.await(exec, Duration.ofSeconds(10));
        assertEquals(ErrorNames.WORKER_INTERRUPTED, d.error());
        assertTrue(d.cause().contains("stop deadline 4 s; last progress: delta 1/15"), d.cause());
      } finally {
        worker.destroyForcibly();
      }
    }
  }
}
