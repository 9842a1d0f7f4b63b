package com.chromacompactor.activity;

import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * How one worker process runs.
 *
 * @param activityArns the activities to poll, one poller thread each
 * @param workerName 1–80 characters: the ECS task id, else the host name (see {@link
 *     WorkerIdentity}); each poller sends it with its step as GetActivityTask's {@code workerName}
 * @param concurrency tasks in flight at once, across all activities
 * @param heartbeatInterval time between SendTaskHeartbeat calls of one task; well below
 *     HeartbeatSeconds
 * @param stopTimeout ECS's stop timeout: after SIGTERM, in-flight tasks finish or are failed as
 *     {@code Worker.Interrupted} by {@link #shutdownDeadline()}
 * @param metricsNamespace CloudWatch namespace of the custom metrics
 * @param memorySampleInterval time between two memory datapoints
 */
public record WorkerConfig(
    Map<WorkflowStep, String> activityArns,
    String workerName,
    int concurrency,
    Duration heartbeatInterval,
    Duration stopTimeout,
    String metricsNamespace,
    Duration memorySampleInterval) {
  public static final int DEFAULT_CONCURRENCY = 2;
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(20);

  /** ECS's default stop timeout. */
  public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(30);

  public static final Duration DEFAULT_MEMORY_SAMPLE_INTERVAL = Duration.ofSeconds(30);
  static final int MAX_CONCURRENCY = 256;

  /** Kept back from the stop timeout for the last SendTaskFailure calls and the exit. */
  static final Duration MAX_STOP_MARGIN = Duration.ofSeconds(5);

  public WorkerConfig {
    Objects.requireNonNull(activityArns, "activityArns");
    if (activityArns.isEmpty()) {
      throw new IllegalArgumentException("no activity ARN: set at least one of " + arnVariables());
    }
    EnumMap<WorkflowStep, String> arns = new EnumMap<>(WorkflowStep.class);
    activityArns.forEach(
        (step, arn) -> {
          if (arn == null || !arn.startsWith("arn:")) {
            throw new IllegalArgumentException(
                step.arnVariable() + " must be an activity ARN, got '" + arn + "'");
          }
          arns.put(step, arn);
        });
    activityArns = Collections.unmodifiableMap(arns);
    WorkerIdentity.check(workerName);
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new IllegalArgumentException(
          WorkerEnvironment.CONCURRENCY
              + " must be 1.."
              + MAX_CONCURRENCY
              + ", got "
              + concurrency);
    }
    requirePositive(heartbeatInterval, WorkerEnvironment.HEARTBEAT_INTERVAL_SECONDS);
    requirePositive(stopTimeout, WorkerEnvironment.STOP_TIMEOUT_SECONDS);
    requirePositive(memorySampleInterval, "memorySampleInterval");
    if (metricsNamespace == null || metricsNamespace.isBlank()) {
      throw new IllegalArgumentException(
          WorkerEnvironment.METRICS_NAMESPACE + " must not be blank");
    }
  }

  /**
   * From the container's environment: the ARNs in {@link WorkflowStep#arnVariable()} (absent ones
   * are not polled) and the settings of {@link WorkerEnvironment}, with the defaults above; the
   * name from {@link WorkerIdentity}.
   */
  public static WorkerConfig fromEnvironment(Map<String, String> env) {
    EnumMap<WorkflowStep, String> arns = new EnumMap<>(WorkflowStep.class);
    for (WorkflowStep step : WorkflowStep.values()) {
      String arn = env.get(step.arnVariable());
      if (arn != null && !arn.isBlank()) {
        arns.put(step, arn.trim());
      }
    }
    String namespace = env.get(WorkerEnvironment.METRICS_NAMESPACE);
    return new WorkerConfig(
        arns,
        WorkerIdentity.resolve(env),
        intVariable(env, WorkerEnvironment.CONCURRENCY, DEFAULT_CONCURRENCY),
        secondsVariable(
            env, WorkerEnvironment.HEARTBEAT_INTERVAL_SECONDS, DEFAULT_HEARTBEAT_INTERVAL),
        secondsVariable(env, WorkerEnvironment.STOP_TIMEOUT_SECONDS, DEFAULT_STOP_TIMEOUT),
        namespace == null || namespace.isBlank() ? MetricNames.NAMESPACE : namespace.trim(),
        DEFAULT_MEMORY_SAMPLE_INTERVAL);
  }

  /**
   * The budget {@link ActivityWorker#stop(Duration)} gets on SIGTERM: the stop timeout minus a
   * margin (a fifth of it, at most {@link #MAX_STOP_MARGIN}) for reporting the tasks it had to
   * interrupt.
   */
  public Duration shutdownDeadline() {
    Duration fifth = stopTimeout.dividedBy(5);
    Duration margin = fifth.compareTo(MAX_STOP_MARGIN) < 0 ? fifth : MAX_STOP_MARGIN;
    return stopTimeout.minus(margin);
  }

  private static int intVariable(Map<String, String> env, String name, int fallback) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, got '" + v + "'", e);
    }
  }

  private static Duration secondsVariable(Map<String, String> env, String name, Duration fallback) {
    String v = env.get(name);
    return v == null || v.isBlank() ? fallback : Duration.ofSeconds(intVariable(env, name, 0));
  }

  private static void requirePositive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
  }

  private static String arnVariables() {
    StringBuilder sb = new StringBuilder();
    for (WorkflowStep step : WorkflowStep.values()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(step.arnVariable());
    }
    return sb.toString();
  }
}
