package com.chromacompactor.workflow;

import com.chromacompactor.aws.Resilience;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/**
 * Asks Step Functions (DescribeExecution, the one Step Functions permission this needs beyond the
 * activity calls) whether a claim's execution still runs. Throttling, 5xx and I/O failures are
 * retried by {@link Resilience} and, if they persist, fail Plan as transient; an execution that
 * does not exist (deleted with its state machine, or past its history's retention) has ended. Any
 * other error (access denied, an ARN of another region) is not retried: it names a deployment
 * fault.
 */
final class StepFunctionsHolders implements ClaimHolders {
  private final SfnClient sfn;
  private final Resilience resilience;

  StepFunctionsHolders(SfnClient sfn, Resilience resilience) {
    this.sfn = sfn;
    this.resilience = resilience;
  }

  @Override
  public Holder of(String executionArn) {
    DescribeExecutionResponse d;
    try {
      d =
          resilience.call(
              "DescribeExecution", () -> sfn.describeExecution(b -> b.executionArn(executionArn)));
    } catch (ExecutionDoesNotExistException e) {
      return new Holder(Standing.ENDED, "execution does not exist");
    }
    if (d.status() == ExecutionStatus.RUNNING) {
      return new Holder(Standing.RUNNING, "RUNNING");
    }
    // PENDING_REDRIVE counts as ended: a redriven execution that finds its batch taken meets
    // Publish's conditional
    // write, which lets only one of them publish.
    return new Holder(
        Standing.ENDED, d.statusAsString() + (d.error() == null ? "" : " " + d.error()));
  }
}
