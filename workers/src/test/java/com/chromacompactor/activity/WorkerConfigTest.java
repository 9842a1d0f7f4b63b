package com.chromacompactor.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
  private static final String ARN = "arn:aws:states:us-east-1:123456789012:activity:";

  @Test
  void readsEveryActivityAndSettingFromTheEnvironment() {
    Map<String, String> env = new HashMap<>();
    for (WorkflowStep step : WorkflowStep.values()) {
      env.put(step.arnVariable(), ARN + step.stateName());
    }
    env.put(WorkerEnvironment.CONCURRENCY, "3");
    env.put(WorkerEnvironment.HEARTBEAT_INTERVAL_SECONDS, "15");
    env.put(WorkerEnvironment.STOP_TIMEOUT_SECONDS, "120");
    env.put(WorkerEnvironment.METRICS_NAMESPACE, "Other/Namespace");
    WorkerConfig c = WorkerConfig.fromEnvironment(env);
    assertEquals(WorkflowStep.values().length, c.activityArns().size());
    assertEquals(ARN + "FinalMerge", c.activityArns().get(WorkflowStep.FINAL_MERGE));
    assertEquals(3, c.concurrency());
    assertEquals(Duration.ofSeconds(15), c.heartbeatInterval());
    assertEquals(Duration.ofSeconds(120), c.stopTimeout());
    assertEquals(Duration.ofSeconds(115), c.shutdownDeadline(), "a 5 s margin at most");
    assertEquals("Other/Namespace", c.metricsNamespace());
    assertTrue(c.workerName().length() >= 1 && c.workerName().length() <= 80);
  }

  @Test
  void absentSettingsTakeTheDefaultsAndAbsentArnsAreNotPolled() {
    WorkerConfig c =
        WorkerConfig.fromEnvironment(Map.of(WorkflowStep.PLAN.arnVariable(), ARN + "Plan"));
    assertEquals(Map.of(WorkflowStep.PLAN, ARN + "Plan"), c.activityArns());
    assertEquals(WorkerConfig.DEFAULT_CONCURRENCY, c.concurrency());
    assertEquals(WorkerConfig.DEFAULT_HEARTBEAT_INTERVAL, c.heartbeatInterval());
    assertEquals(Duration.ofSeconds(30), c.stopTimeout());
    assertEquals(Duration.ofSeconds(25), c.shutdownDeadline());
    assertEquals(MetricNames.NAMESPACE, c.metricsNamespace());
  }

  @Test
  void refusesSettingsNamingTheVariable() {
    var none =
        assertThrows(IllegalArgumentException.class, () -> WorkerConfig.fromEnvironment(Map.of()));
    assertTrue(
        none.getMessage().contains(WorkflowStep.COMPACT_CHUNK.arnVariable()), none.getMessage());
    Map<String, String> env = new HashMap<>(Map.of(WorkflowStep.PLAN.arnVariable(), ARN + "Plan"));
    env.put(WorkerEnvironment.CONCURRENCY, "many");
    var bad = assertThrows(IllegalArgumentException.class, () -> WorkerConfig.fromEnvironment(env));
    assertEquals(
        WorkerEnvironment.CONCURRENCY + " must be an integer, got 'many'", bad.getMessage());
    env.put(WorkerEnvironment.CONCURRENCY, "0");
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> WorkerConfig.fromEnvironment(env))
            .getMessage()
            .startsWith(WorkerEnvironment.CONCURRENCY + " must be 1..256"));
    env.put(WorkerEnvironment.CONCURRENCY, "1");
    env.put(WorkflowStep.CLEANUP.arnVariable(), "cleanup");
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> WorkerConfig.fromEnvironment(env))
            .getMessage()
            .startsWith(WorkflowStep.CLEANUP.arnVariable() + " must be an activity ARN"));
  }

  @Test
  void workerNameIsTheEcsTaskIdFromTheTaskMetadataEndpoint() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/v4/container-1/task",
        exchange -> {
          byte[] body =
              ("{\"Cluster\":\"compactor\",\"TaskARN\":\"arn:aws:ecs:us-east-1:123456789012:task/compactor/"
                      + "0f1e2d3c4b5a69788796a5b4c3d2e1f0\"}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    try {
      String uri = "http://127.0.0.1:" + server.getAddress().getPort() + "/v4/container-1";
      assertEquals(
          "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
          WorkerIdentity.resolve(Map.of(WorkerIdentity.ECS_METADATA_VARIABLE, uri)));
      // An endpoint that does not answer falls back to the host name.
      String fallback =
          WorkerIdentity.resolve(Map.of(WorkerIdentity.ECS_METADATA_VARIABLE, uri + "/missing"));
      assertEquals(WorkerIdentity.resolve(Map.of()), fallback);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void pollerNamesStayWithinTheApiLimit() {
    assertEquals("0f1e2d3c-CompactChunk", WorkerIdentity.pollerName("0f1e2d3c", "CompactChunk"));
    assertEquals(80, WorkerIdentity.pollerName("h".repeat(79), "Plan").length());
    assertThrows(IllegalArgumentException.class, () -> WorkerIdentity.check(""));
    assertThrows(IllegalArgumentException.class, () -> WorkerIdentity.check("n".repeat(81)));
  }
}
