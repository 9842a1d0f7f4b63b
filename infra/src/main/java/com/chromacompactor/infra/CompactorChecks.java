package com.chromacompactor.infra;

import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import io.github.cdklabs.cdknag.NagPackSuppression;
import io.github.cdklabs.cdknag.NagSuppressions;
import io.github.cdklabs.cdknag.RegexAppliesTo;
import java.util.Arrays;
import java.util.List;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.CfnResource;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.Policy;
import software.amazon.awscdk.services.stepfunctions.StateMachine;
import software.constructs.IConstruct;

/**
 * The checks that CDK users run on a stack, and this stack's answers to them: cdk-nag's
 * AwsSolutions rule pack, whose findings are fixed in the constructs or accepted here, each with
 * its reason; and cfn-lint, run on the synthesized template by the infra tests ({@code
 * CfnLintTest}).
 *
 * <p>Fixed in the constructs: server access logs for the bucket (S1), Container Insights on the
 * cluster (ECS4), a flow log of rejected traffic for the workers' VPC (VPC7). Accepted: below, one
 * suppression per finding.
 */
public final class CompactorChecks {
  private CompactorChecks() {}

  /** Runs the AwsSolutions rule pack on everything in {@code scope} when it is synthesized. */
  public static void addRulePack(IConstruct scope) {
    Aspects.of(scope).add(new AwsSolutionsChecks());
  }

  /** The findings this stack accepts, each with its reason, and the template fix for cfn-lint. */
  static void answer(CompactorStack stack) {
    StateMachine stateMachine = stack.getWorkflow().getStateMachine();
    MergeWorkers workers = stack.getWorkers();

    NagSuppressions.addResourceSuppressions(
        stack.getAccessLogs(),
        List.of(
            suppression(
                "AwsSolutions-S1",
                "This is the bucket that receives the compaction bucket's server access logs; logging its own access"
                    + " into itself would loop.")));

    NagSuppressions.addResourceSuppressions(
        workers.getTaskDefinition(),
        List.of(
            suppression(
                "AwsSolutions-ECS2",
                "The container's environment holds configuration only: the bucket's name, the activity ARNs, the"
                    + " metrics namespace and the worker's concurrency and timeouts. No secret: the SDK takes"
                    + " credentials from the task role (CompactorStackTest checks that no credential-like"
                    + " variable is set).")));

    NagSuppressions.addResourceSuppressions(
        workers.getTaskDefinition().obtainExecutionRole(),
        List.of(
            iamWildcards(
                "ecr:GetAuthorizationToken has no resource-level permissions; the rest of the execution"
                    + " role's policy, written by CDK, names the image repository and the log group.",
                "Resource::\\*")),
        true);

    NagSuppressions.addResourceSuppressions(
        workers.getTaskDefinition().getTaskRole(),
        List.of(
            iamWildcards(
                "Resource::* is cloudwatch:PutMetricData, which has no resource-level permissions; a"
                    + " condition keeps it to the workers' own namespace (MergeWorkers.grantPutMetricData). The"
                    + " bucket wildcards are the key-layout prefixes the workers read, write and collect, one"
                    + " statement per prefix (CompactionWorkflow.grantWorkerStorage): the objects below a prefix"
                    + " are named at run time; plans/*/claim.json is the one object per batch Plan may delete, the"
                    + " claim it gives back when its batch has nothing to merge. kms:GenerateDataKey* and"
                    + " kms:ReEncrypt* are CDK's grant for the bucket's own key (bucketEncryption=kms), on that one key."
                    + " The execution wildcard is states:DescribeExecution on this workflow's executions, whose"
                    + " names are chosen at run time: Plan asks whether the execution holding a claim still runs.",
                "Resource::\\*",
                "Resource::<Bucket[0-9A-F]+\\.Arn>/.*\\*",
                "Resource::<Bucket[0-9A-F]+\\.Arn>/(.*/)?plans/\\*/claim\\.json",
                "Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
                    + "<[A-Za-z0-9]+\\.Name>:\\*",
                "Action::kms:GenerateDataKey\\*",
                "Action::kms:ReEncrypt\\*")),
        true);

    NagSuppressions.addResourceSuppressions(
        stateMachine,
        List.of(
            suppression(
                "AwsSolutions-SF1",
                "The workflow logs ERROR events without execution data: each failed"
                    + " state with its error and cause. ALL would log every task transition of runs with"
                    + " hundreds of chunks, and their inputs; the execution history keeps those for 90 days."),
            suppression(
                "AwsSolutions-SF2",
                "X-Ray would trace state transitions only: the work happens in"
                    + " activity workers that poll over HTTPS, outside any trace. The workers publish their"
                    + " figures as CloudWatch metrics, and the dashboard shows them."),
            iamWildcards(
                "Resource::* is the CloudWatch Logs delivery actions (logs:CreateLogDelivery and"
                    + " the like) that Step Functions needs to write its log group, and cloudwatch:PutMetricData"
                    + " for ReportGcFailure, kept to the workers' namespace by a condition; none has"
                    + " resource-level permissions. The execution wildcards are the distributed map's child"
                    + " executions of"
                    + " this state machine only, whose names Step Functions chooses. The bucket wildcard is"
                    + " the plans/ prefix the map reads its chunk list from.",
                "Resource::\\*",
                "Resource::<Bucket[0-9A-F]+\\.Arn>/.*\\*",
                "Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*")),
        true);

    dropRedundantRoleDependency(stateMachine);
  }

  /**
   * CDK's StateMachine depends on its whole role construct, so the template says DependsOn the role
   * and its default policy; the role is already referenced through Fn::GetAtt, which cfn-lint
   * reports (W3005). The policy stays: the state machine must not start before its permissions
   * exist.
   */
  private static void dropRedundantRoleDependency(StateMachine stateMachine) {
    CfnResource resource = (CfnResource) stateMachine.getNode().getDefaultChild();
    Policy policy = (Policy) stateMachine.getRole().getNode().tryFindChild("DefaultPolicy");
    CfnResource cfnPolicy = (CfnResource) policy.getNode().getDefaultChild();
    resource.addOverride("DependsOn", List.of(Stack.of(stateMachine).getLogicalId(cfnPolicy)));
  }

  private static NagPackSuppression suppression(String rule, String reason) {
    return NagPackSuppression.builder().id(rule).reason(reason).build();
  }

  /**
   * AwsSolutions-IAM5 for the findings that match {@code patterns} (regular expressions), and no
   * other.
   */
  private static NagPackSuppression iamWildcards(String reason, String... patterns) {
    return NagPackSuppression.builder()
        .id("AwsSolutions-IAM5")
        .reason(reason)
        .appliesTo(
            Arrays.stream(patterns)
                .map(p -> RegexAppliesTo.builder().regex("/^" + p + "$/").build())
                .toList())
        .build();
  }
}
