package com.chromacompactor.activity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's name, as Step Functions shows it in {@code ActivityStarted} events: the ECS task id
 * when the container has the task metadata endpoint, else the host name. GetActivityTask takes 1–80
 * characters.
 */
public final class WorkerIdentity {
  public static final String ECS_METADATA_VARIABLE = "ECS_CONTAINER_METADATA_URI_V4";
  static final int MAX_LENGTH = 80;
  private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(2);
  private static final Logger log = LoggerFactory.getLogger(WorkerIdentity.class);

  private WorkerIdentity() {}

  /**
   * The ECS task id from {@code ${ECS_CONTAINER_METADATA_URI_V4}/task}, else the host name, clipped
   * to 80.
   */
  public static String resolve(Map<String, String> env) {
    String metadata = env.get(ECS_METADATA_VARIABLE);
    if (metadata != null && !metadata.isBlank()) {
      try {
        return clip(ecsTaskId(URI.create(metadata.trim() + "/task")));
      } catch (IOException | RuntimeException e) {
        log.warn("no ECS task id from {}: {}; using the host name", metadata, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return clip(hostName());
  }

  /**
   * The last part of a task ARN: {@code arn:aws:ecs:us-east-1:123:task/cluster/0123abcd…} gives
   * {@code 0123abcd…}.
   */
  static String taskIdFromArn(String taskArn) {
    int slash = taskArn.lastIndexOf('/');
    String id = slash >= 0 ? taskArn.substring(slash + 1) : taskArn;
    if (id.isEmpty()) {
      throw new IllegalArgumentException("no task id in ARN " + taskArn);
    }
    return id;
  }

  /**
   * The name of one poller: the worker's name and the state it polls for, clipped to 80 characters.
   */
  static String pollerName(String workerName, String stateName) {
    return clip(workerName + "-" + stateName);
  }

  static void check(String name) {
    if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "worker name must be 1.."
              + MAX_LENGTH
              + " characters, got "
              + (name == null ? "null" : name.length() + ": '" + name + "'"));
    }
  }

  private static String ecsTaskId(URI taskMetadata) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(METADATA_TIMEOUT).build();
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(taskMetadata).timeout(METADATA_TIMEOUT).build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode());
    }
    JsonNode arn = new ObjectMapper().readTree(response.body()).get("TaskARN");
    if (arn == null || !arn.isTextual()) {
      throw new IOException("no TaskARN in the task metadata");
    }
    return taskIdFromArn(arn.asText());
  }

  private static String hostName() {
    try {
      String host = InetAddress.getLocalHost().getHostName();
      if (host != null && !host.isBlank()) {
        return host;
      }
    } catch (IOException e) {
      log.debug("no host name: {}", e.toString());
    }
    return "worker-" + ProcessHandle.current().pid();
  }

  private static String clip(String s) {
    return s.length() <= MAX_LENGTH ? s : s.substring(0, MAX_LENGTH);
  }
}
