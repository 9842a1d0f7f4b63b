package com.chromacompactor.faults;

import com.chromacompactor.statemachine.contract.AslTemplate;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;

/**
 * The deployed state machine of one run, on LocalStack: the exported definition with its own five
 * activities, so that nothing of another run (a dead worker's open poll above all) can take its
 * tasks. Only HeartbeatSeconds is shortened, so that a killed worker's task times out in seconds;
 * the retries are the deployed ones.
 */
final class SweepWorkflow implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  final Map<WorkflowStep, String> activities;
  final String stateMachineArn;
  private final SfnClient sfn;

  /** How one execution ended, or RUNNING. */
  record Execution(
      String name,
      String arn,
      ExecutionStatus status,
      String error,
      String cause,
      String published,
      boolean nothingToDo) {
    boolean running() {
      return status == ExecutionStatus.RUNNING;
    }

    String describe() {
      return name
          + " "
          + status
          + (error == null ? "" : " " + error + ": " + abbreviate(cause))
          + (published != null
              ? " published " + published
              : nothingToDo ? " (nothing to compact)" : "");
    }

    private static String abbreviate(String s) {
      return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
  }

  private SweepWorkflow(
      SfnClient sfn, Map<WorkflowStep, String> activities, String stateMachineArn) {
    this.sfn = sfn;
    this.activities = activities;
    this.stateMachineArn = stateMachineArn;
  }

  static SweepWorkflow create(SfnClient sfn, String bucket, String name, int heartbeatSeconds)
      throws IOException {
    String suffix = name + "-" + UUID.randomUUID().toString().substring(0, 6);
    Map<WorkflowStep, String> arns = new EnumMap<>(WorkflowStep.class);
    for (WorkflowStep step : WorkflowStep.values()) {
      arns.put(
          step, sfn.createActivity(b -> b.name(suffix + "-" + step.stateName())).activityArn());
    }
    JsonNode root = JSON.readTree(AslTemplate.bind(AslTemplate.load(), bucket, arns));
    for (JsonNode state : root.findParents("HeartbeatSeconds")) {
      ((ObjectNode) state).put("HeartbeatSeconds", heartbeatSeconds);
    }
    String definition = JSON.writeValueAsString(root);
    String arn =
        sfn.createStateMachine(
                b ->
                    b.name("sweep-" + suffix)
                        .definition(definition)
                        .roleArn("arn:aws:iam::000000000000:role/compactor-sweep"))
            .stateMachineArn();
    return new SweepWorkflow(sfn, arns, arn);
  }

  String start(String executionName) {
    return sfn.startExecution(
            b -> b.stateMachineArn(stateMachineArn).name(executionName).input("{}"))
        .executionArn();
  }

  Execution describe(String arn) {
    DescribeExecutionResponse d = sfn.describeExecution(b -> b.executionArn(arn));
    String published = null;
    boolean nothing = false;
    if (d.status() == ExecutionStatus.SUCCEEDED && d.output() != null) {
      try {
        JsonNode out = JSON.readTree(d.output());
        published = out.path("publish").path("snapshotPrefix").textValue();
        nothing = out.path("plan").path("chunkCount").asInt(-1) == 0;
      } catch (IOException e) {
        throw new IllegalStateException("execution output is not JSON: " + d.output(), e);
      }
    }
    return new Execution(d.name(), arn, d.status(), d.error(), d.cause(), published, nothing);
  }

  void stop(String arn, String why) {
    sfn.stopExecution(b -> b.executionArn(arn).error("Sweep.Stopped").cause(why));
  }

  /**
   * The execution's events, each as its type and, where it has one, the state or error it names.
   */
  List<String> history(String arn) {
    List<String> out = new ArrayList<>();
    for (HistoryEvent e : sfn.getExecutionHistoryPaginator(b -> b.executionArn(arn)).events()) {
      String detail =
          e.stateEnteredEventDetails() != null
              ? e.stateEnteredEventDetails().name()
              : e.activityFailedEventDetails() != null
                  ? e.activityFailedEventDetails().error()
                  : e.activityTimedOutEventDetails() != null
                      ? e.activityTimedOutEventDetails().error()
                      : e.executionFailedEventDetails() != null
                          ? e.executionFailedEventDetails().error()
                          : null;
      out.add(e.typeAsString() + (detail == null ? "" : "(" + detail + ")"));
    }
    return out;
  }

  @Override
  public void close() {
    sfn.listExecutionsPaginator(
            b -> b.stateMachineArn(stateMachineArn).statusFilter(ExecutionStatus.RUNNING))
        .executions()
        .forEach(e -> sfn.stopExecution(b -> b.executionArn(e.executionArn())));
    sfn.deleteStateMachine(b -> b.stateMachineArn(stateMachineArn));
    activities.values().forEach(arn -> sfn.deleteActivity(b -> b.activityArn(arn)));
  }
}
