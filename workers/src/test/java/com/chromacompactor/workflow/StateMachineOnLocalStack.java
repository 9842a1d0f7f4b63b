package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.ActivityWorker;
import com.chromacompactor.activity.WorkerConfig;
import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.metrics.MetricSink;
import com.chromacompactor.statemachine.contract.AslTemplate;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
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
 * The deployed workflow on LocalStack, as a test drives it: the state machine created from the
 * exported definition with activities of its own, workers polling them in this JVM, and executions
 * awaited with their history.
 */
final class StateMachineOnLocalStack {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration EXECUTION_TIMEOUT = Duration.ofMinutes(4);

  /** One finished execution: its output (the final state) and the states it entered. */
  record Execution(String arn, JsonNode output, List<String> entered) {}

  private final AwsClients clients;
  private final SfnClient sfn;
  private final String stateMachineArn;
  private final Map<WorkflowStep, String> activities;

  private StateMachineOnLocalStack(
      AwsClients clients, String stateMachineArn, Map<WorkflowStep, String> activities) {
    this.clients = clients;
    this.sfn = clients.stepFunctions();
    this.stateMachineArn = stateMachineArn;
    this.activities = activities;
  }

  static StateMachineOnLocalStack create(AwsClients clients, String name, String bucket)
      throws Exception {
    SfnClient sfn = clients.stepFunctions();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    Map<WorkflowStep, String> arns = new EnumMap<>(WorkflowStep.class);
    for (WorkflowStep step : WorkflowStep.values()) {
      arns.put(
          step,
          sfn.createActivity(b -> b.name(name + "-" + step.stateName() + "-" + suffix))
              .activityArn());
    }
    String definition = AslTemplate.bind(AslTemplate.load(), bucket, arns);
    String arn =
        sfn.createStateMachine(
                b ->
                    b.name("compactor-" + name + "-" + suffix)
                        .definition(definition)
                        .roleArn("arn:aws:iam::000000000000:role/compactor-e2e"))
            .stateMachineArn();
    return new StateMachineOnLocalStack(clients, arn, arns);
  }

  /** A worker for every step, with these handlers. */
  ActivityWorker startWorker(String name, Map<WorkflowStep, ActivityHandler> handlers) {
    WorkerConfig config =
        new WorkerConfig(
            activities,
            name,
            2,
            Duration.ofSeconds(1),
            Duration.ofSeconds(10),
            "ChromaDB/Compaction",
            Duration.ofSeconds(30));
    return new ActivityWorker(config, handlers, clients, MetricSink.DISCARD).start();
  }

  /** Starts an execution and waits for it to succeed. */
  Execution run(String name, String input) throws Exception {
    String unique = name + "-" + UUID.randomUUID().toString().substring(0, 8);
    String arn =
        sfn.startExecution(b -> b.stateMachineArn(stateMachineArn).name(unique).input(input))
            .executionArn();
    long deadline = System.nanoTime() + EXECUTION_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      DescribeExecutionResponse d = sfn.describeExecution(b -> b.executionArn(arn));
      if (d.status() != ExecutionStatus.RUNNING) {
        List<String> entered = entered(arn);
        assertEquals(
            ExecutionStatus.SUCCEEDED,
            d.status(),
            "execution "
                + arn
                + " ended "
                + d.status()
                + ": "
                + d.error()
                + " "
                + d.cause()
                + "; states "
                + entered);
        return new Execution(arn, JSON.readTree(d.output()), entered);
      }
      Thread.sleep(500);
    }
    fail(
        "execution "
            + arn
            + " still running after "
            + EXECUTION_TIMEOUT
            + "; states "
            + entered(arn));
    return null;
  }

  private List<String> entered(String executionArn) {
    List<String> out = new ArrayList<>();
    for (HistoryEvent e :
        sfn.getExecutionHistoryPaginator(b -> b.executionArn(executionArn)).events()) {
      if (e.stateEnteredEventDetails() != null) {
        out.add(e.stateEnteredEventDetails().name());
      }
    }
    return out;
  }
}
