package com.chromacompactor.activity;

import static org.junit.jupiter.api.Assertions.fail;

import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;

/**
 * One activity and a state machine with one Task state on it, on LocalStack: the smallest workflow
 * a worker can serve. {@code retry} is the Task's Retry array as JSON, or null.
 */
final class LocalStackWorkflow implements AutoCloseable {
  static final String ROLE = "arn:aws:iam::000000000000:role/compactor-test";

  final SfnClient sfn;
  final String activityArn;
  final String stateMachineArn;

  private LocalStackWorkflow(SfnClient sfn, String activityArn, String stateMachineArn) {
    this.sfn = sfn;
    this.activityArn = activityArn;
    this.stateMachineArn = stateMachineArn;
  }

  static AwsClients clients() {
    return new AwsClients(AwsSettings.localStack());
  }

  /** Fails the test, saying how to start it, when LocalStack does not answer. */
  static void requireLocalStack(SfnClient sfn) {
    try {
      sfn.listActivities(b -> b.maxResults(1));
    } catch (RuntimeException e) {
      fail("LocalStack is needed at http://127.0.0.1:4566 (scripts/localstack start): " + e);
    }
  }

  static LocalStackWorkflow create(SfnClient sfn, String name, int heartbeatSeconds, String retry) {
    String suffix = name + "-" + UUID.randomUUID().toString().substring(0, 8);
    String activityArn = sfn.createActivity(b -> b.name("act-" + suffix)).activityArn();
    String definition =
        "{\"StartAt\":\"Work\",\"States\":{\"Work\":{\"Type\":\"Task\",\"Resource\":\""
            + activityArn
            + "\",\"HeartbeatSeconds\":"
            + heartbeatSeconds
            + ",\"TimeoutSeconds\":120,"
            + (retry == null ? "" : "\"Retry\":" + retry + ",")
            + "\"End\":true}}}";
    String smArn =
        sfn.createStateMachine(b -> b.name("sm-" + suffix).roleArn(ROLE).definition(definition))
            .stateMachineArn();
    return new LocalStackWorkflow(sfn, activityArn, smArn);
  }

  String start(String input) {
    return sfn.startExecution(b -> b.stateMachineArn(stateMachineArn).input(input)).executionArn();
  }

  /** Waits until the execution is no longer RUNNING. */
  DescribeExecutionResponse await(String executionArn, Duration timeout)
      throws InterruptedException {
    Instant end = Instant.now().plus(timeout);
    while (true) {
      DescribeExecutionResponse d = sfn.describeExecution(b -> b.executionArn(executionArn));
      if (d.status() != ExecutionStatus.RUNNING) {
        return d;
      }
      if (Instant.now().isAfter(end)) {
        fail("execution still RUNNING after " + timeout + ": " + history(executionArn));
      }
      Thread.sleep(200);
    }
  }

  List<HistoryEvent> history(String executionArn) {
    return sfn.getExecutionHistory(b -> b.executionArn(executionArn).maxResults(1000)).events();
  }

  @Override
  public void close() {
    sfn.listExecutions(
            b -> b.stateMachineArn(stateMachineArn).statusFilter(ExecutionStatus.RUNNING))
        .executions()
        .forEach(e -> sfn.stopExecution(b -> b.executionArn(e.executionArn())));
    sfn.deleteStateMachine(b -> b.stateMachineArn(stateMachineArn));
    sfn.deleteActivity(b -> b.activityArn(activityArn));
  }
}
