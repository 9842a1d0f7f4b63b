package com.chromacompactor.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.HistoryEventType;

/**
 * A real worker process, with credentials in its environment as a container has them and every
 * logger at DEBUG, runs a task that succeeds, one that fails unexpectedly (logged with its stack
 * trace) and one that is taken away (its heartbeat refused), then gets SIGTERM. Nothing it printed
 * may contain the secret access key, the session token, or any part of a task token longer than
 * {@link #TOKEN_WINDOW} characters.
 */
class NoSecretsInLogsTest {
  /**
   * A task token is a bearer secret: a log may show a short prefix of it to tell tasks apart, no
   * more.
   */
  private static final int TOKEN_WINDOW = 16;

  @TempDir Path dir;

  @Test
  void workerLogsShowNoCredentialAndNoTaskToken() throws Exception {
    String secretKey = "leakcheckSECRETKEY" + UUID.randomUUID().toString().replace("-", "");
    String sessionToken = "leakcheckSESSIONTOKEN" + UUID.randomUUID().toString().replace("-", "");
    Path log = dir.resolve("worker.log");
    Path tokens = dir.resolve("tokens.txt");
    try (SfnClient sfn = LocalStackWorkflow.clients().stepFunctions();
        var wf = LocalStackWorkflow.create(sfn, "leak", 30, null)) {
      LocalStackWorkflow.requireLocalStack(sfn);
      ProcessBuilder pb =
          new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-Dorg.slf4j.simpleLogger.defaultLogLevel=debug",
              "-cp",
              System.getProperty("java.class.path"),
              LeakCheckWorkerMain.class.getName());
      Map<String, String> env = pb.environment();
      env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("COMPACTOR_"));
      // No COMPACTOR_AWS_ENDPOINT: the clients take the default credential chain, here the
      // environment, as in
      // a container (where it is the task role); the SDK itself sends them to LocalStack.
      // LocalStack ignores
      // an ASIA... key id and uses its default account.
      env.put("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
      env.put("AWS_REGION", "us-east-1");
      env.put("AWS_ACCESS_KEY_ID", "ASIAQAAAAAAALEAKCHECK");
      env.put("AWS_SECRET_ACCESS_KEY", secretKey);
      env.put("AWS_SESSION_TOKEN", sessionToken);
      env.put(WorkflowStep.COMPACT_CHUNK.arnVariable(), wf.activityArn);
      env.put(WorkerEnvironment.HEARTBEAT_INTERVAL_SECONDS, "1");
      env.put(WorkerEnvironment.STOP_TIMEOUT_SECONDS, "5");
      env.put(WorkerEnvironment.CONCURRENCY, "3");
      env.put(WorkerEnvironment.METRICS_NAMESPACE, "Test/LeakCheck");
      env.put(LeakCheckWorkerMain.TOKENS_FILE, tokens.toString());
      pb.redirectErrorStream(true).redirectOutput(log.toFile());
      Process worker = pb.start();
      try {
        String ok = wf.start("{\"mode\":\"ok\"}");
        String boom = wf.start("{\"mode\":\"boom\"}");
        String taken = wf.start("{\"mode\":\"wait\"}");
        assertEquals(ExecutionStatus.SUCCEEDED, wf.await(ok, Duration.ofSeconds(30)).status());
        assertEquals(ErrorNames.UNEXPECTED, wf.await(boom, Duration.ofSeconds(30)).error());
        awaitStarted(wf, taken);
        sfn.stopExecution(b -> b.executionArn(taken));
        awaitLine(log, "heartbeat refused");
        worker.destroy(); // SIGTERM
        assertTrue(worker.waitFor(15, TimeUnit.SECONDS), "the worker did not exit");
      } finally {
        worker.destroyForcibly();
      }
    }

    String out = Files.readString(log, StandardCharsets.UTF_8);
    List<String> received = Files.readAllLines(tokens, StandardCharsets.UTF_8);
    // The paths under test ran and their lines were captured, at DEBUG too.
    for (String line :
        List.of(
            "succeeded after",
            "unexpected failure",
            "IllegalStateException: boom",
            "heartbeat refused",
            "DEBUG",
            "stopped: ")) {
      assertTrue(out.contains(line), "the log has no '" + line + "':\n" + out);
    }
    assertEquals(3, received.size(), "task tokens received: " + received);

    assertNotIn(out, "AWS_SECRET_ACCESS_KEY", secretKey);
    assertNotIn(out, "AWS_SESSION_TOKEN", sessionToken);
    for (String token : received) {
      assertTrue(token.length() > TOKEN_WINDOW, token);
      for (int i = 0; i + TOKEN_WINDOW <= token.length(); i++) {
        assertNotIn(out, "a task token", token.substring(i, i + TOKEN_WINDOW));
      }
    }
  }

  private static void assertNotIn(String log, String what, String secret) {
    int at = log.indexOf(secret);
    if (at >= 0) {
      int lineStart = log.lastIndexOf('\n', at) + 1;
      int lineEnd = log.indexOf('\n', at);
      fail(
          what
              + " leaked into the log: "
              + log.substring(lineStart, lineEnd < 0 ? log.length() : lineEnd));
    }
  }

  private static void awaitStarted(LocalStackWorkflow wf, String execution)
      throws InterruptedException {
    Instant end = Instant.now().plusSeconds(30);
    while (wf.history(execution).stream()
        .noneMatch(e -> e.type() == HistoryEventType.ACTIVITY_STARTED)) {
      if (Instant.now().isAfter(end)) {
        fail("the task never started: " + wf.history(execution));
      }
      Thread.sleep(100);
    }
  }

  private static void awaitLine(Path log, String text) throws IOException, InterruptedException {
    Instant end = Instant.now().plusSeconds(20);
    while (!Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
      if (Instant.now().isAfter(end)) {
        fail(
            "no '"
                + text
                + "' in the log within 20 s:\n"
                + Files.readString(log, StandardCharsets.UTF_8));
      }
      Thread.sleep(100);
    }
  }
}
