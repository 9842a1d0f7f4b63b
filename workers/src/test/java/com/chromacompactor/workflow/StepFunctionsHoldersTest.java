package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.aws.Resilience;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.LocalStackHealth;
import com.chromacompactor.testing.Series;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionRequest;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.SfnException;

/**
 * The claim of a deployed execution that ended is lost at once (issue 17), asked of Step Functions
 * on LocalStack: running, aborted, failed and unknown executions, throttling retried, and Plan
 * taking an aborted execution's claim over while a running one's holds.
 */
class StepFunctionsHoldersTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Resilience QUICK =
      new Resilience(
          "sfn", new Resilience.Policy(3, Duration.ofMillis(10), Duration.ofMillis(50), 20));

  /** Waits for a minute unless told to fail: {"fail": true} fails at once. */
  private static final String DEFINITION =
      """
      {"StartAt": "Which", "States": {
        "Which": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": true, "Next": "Fail"}],
                  "Default": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 60, "End": true},
        "Fail": {"Type": "Fail", "Error": "Compaction.ChunkFailed", "Cause": "a test"}}}""";

  private static SfnClient sfn;
  private static String stateMachineArn;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() {
    LocalStackHealth.require();
    sfn = new AwsClients(AwsSettings.localStack()).stepFunctions();
    stateMachineArn =
        sfn.createStateMachine(
                b ->
                    b.name("holders-" + UUID.randomUUID().toString().substring(0, 8))
                        .definition(DEFINITION)
                        .roleArn("arn:aws:iam::000000000000:role/holders-test"))
            .stateMachineArn();
  }

  @AfterAll
  static void tearDown() {
    if (stateMachineArn != null) {
      sfn.listExecutionsPaginator(
              b -> b.stateMachineArn(stateMachineArn).statusFilter(ExecutionStatus.RUNNING))
          .executions()
          .forEach(e -> sfn.stopExecution(b -> b.executionArn(e.executionArn())));
      sfn.deleteStateMachine(b -> b.stateMachineArn(stateMachineArn));
    }
  }

  @Test
  void runningHoldsWhileAbortedFailedAndUnknownExecutionsHaveEnded() throws Exception {
    StepFunctionsHolders holders = new StepFunctionsHolders(sfn, QUICK);
    String running = start("running", "{}");
    assertEquals(
        new ClaimHolders.Holder(ClaimHolders.Standing.RUNNING, "RUNNING"), holders.of(running));

    String aborted = start("aborted", "{}");
    sfn.stopExecution(b -> b.executionArn(aborted));
    // StopExecution returns before the status changes: LocalStack answered RUNNING right after it
    // once.
    assertEquals("ABORTED", awaitEnded(holders, aborted).detail());

    String failed = start("failed", "{\"fail\": true}");
    ClaimHolders.Holder f = awaitEnded(holders, failed);
    assertEquals("FAILED Compaction.ChunkFailed", f.detail());

    String unknown = running.substring(0, running.lastIndexOf(':') + 1) + "never-started";
    assertEquals(
        new ClaimHolders.Holder(ClaimHolders.Standing.ENDED, "execution does not exist"),
        holders.of(unknown));
  }

  @Test
  void throttlingIsRetriedAndAnswersWhenItPassesAndFailsAsTransientWhenItDoesNot() {
    String running = start("throttled", "{}");
    AtomicInteger throttles = new AtomicInteger(3);
    SfnClient flaky =
        new AwsClients(AwsSettings.localStack(), List.of(throttleDescribe(throttles)))
            .stepFunctions();
    // three refusals: both SDK attempts of the first call, and the first of the second call
    assertEquals(
        ClaimHolders.Standing.RUNNING,
        new StepFunctionsHolders(flaky, QUICK).of(running).standing());
    assertEquals(0, throttles.get(), "every throttle was met, and retried");

    throttles.set(Integer.MAX_VALUE);
    Resilience.TransientAwsException e =
        assertThrows(
            Resilience.TransientAwsException.class,
            () -> new StepFunctionsHolders(flaky, QUICK).of(running));
    assertTrue(e.getMessage().contains("DescribeExecution"), e.getMessage());
  }

  @Test
  void planTakesAnAbortedExecutionsClaimOverAndHonoursARunningOnes() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = new LocalBlobStore(Files.createDirectories(tmp.resolve("bucket")));
    for (int i = 0; i < 2; i++) {
      DeltaPush.push(
          bucket,
          Lineage.NONE,
          series.delta(i),
          series.delta(i).getFileName().toString(),
          i,
          "test");
    }
    var steps =
        WorkflowSteps.over(
            bucket,
            WorkflowSteps.Settings.defaults(ChunkSizes.defaults())
                .withClaims(Claim.Terms.deployed(new StepFunctionsHolders(sfn, QUICK))));

    String first = start("first", "{}");
    PlanOutput claimed = plan(steps, "first", first);
    assertTrue(claimed.chunkCount() > 0, "the first execution claims the batch");
    Claim held = Claim.parse(bucket.get(Claim.key(claimed.batchId())).orElseThrow().body());
    assertEquals(first, held.executionArn());
    assertTrue(
        held.expiresAt().isAfter(Instant.now().plus(Duration.ofHours(24))),
        "a deployed lease: " + held);

    String second = start("second", "{}");
    assertEquals(
        0, plan(steps, "second", second).chunkCount(), "the first execution runs: its claim holds");

    sfn.stopExecution(b -> b.executionArn(first));
    String third = start("third", "{}");
    PlanOutput taken = plan(steps, "third", third);
    assertEquals(claimed.batchId(), taken.batchId());
    assertEquals(
        claimed.chunkCount(), taken.chunkCount(), "the aborted execution's batch, planned again");
    assertEquals(
        third,
        Claim.parse(bucket.get(Claim.key(claimed.batchId())).orElseThrow().body()).executionArn());
  }

  // ---------------------------------------------------------------- helpers

  private PlanOutput plan(Map<WorkflowStep, ActivityHandler> steps, String name, String arn)
      throws Exception {
    String input =
        JSON.writeValueAsString(
            Map.of("request", Map.of(), "executionName", name, "executionArn", arn));
    return JSON.readValue(
        InProcessTask.run(steps, WorkflowStep.PLAN, input, tmp), PlanOutput.class);
  }

  private static String start(String name, String input) {
    return sfn.startExecution(
            b ->
                b.stateMachineArn(stateMachineArn)
                    .name(name + "-" + UUID.randomUUID())
                    .input(input))
        .executionArn();
  }

  private static ClaimHolders.Holder awaitEnded(StepFunctionsHolders holders, String arn)
      throws Exception {
    Instant deadline = Instant.now().plusSeconds(30);
    while (Instant.now().isBefore(deadline)) {
      ClaimHolders.Holder h = holders.of(arn);
      if (h.standing() == ClaimHolders.Standing.ENDED) {
        return h;
      }
      Thread.sleep(200);
    }
    return fail("execution " + arn + " did not end in 30 s");
  }

  /**
   * Refuses DescribeExecution with a throttling error, before it is sent, while the count lasts.
   */
  private static ExecutionInterceptor throttleDescribe(AtomicInteger left) {
    return new ExecutionInterceptor() {
      @Override
      public void beforeTransmission(
          Context.BeforeTransmission context, ExecutionAttributes attributes) {
        if (context.request() instanceof DescribeExecutionRequest
            && left.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
          throw SfnException.builder()
              .statusCode(400)
              .message("Rate exceeded")
              .awsErrorDetails(
                  AwsErrorDetails.builder()
                      .errorCode("ThrottlingException")
                      .errorMessage("Rate exceeded")
                      .build())
              .build();
        }
      }
    };
  }
}
