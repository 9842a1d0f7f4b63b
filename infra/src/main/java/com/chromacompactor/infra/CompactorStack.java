package com.chromacompactor.infra;

import com.chromacompactor.statemachine.CompactionWorkflow;
import com.chromacompactor.statemachine.CompactionWorkflowProps;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.StorageLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.events.Rule;
import software.amazon.awscdk.services.events.RuleTargetInput;
import software.amazon.awscdk.services.events.Schedule;
import software.amazon.awscdk.services.events.targets.SfnStateMachine;
import software.amazon.awscdk.services.events.targets.SfnStateMachineProps;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.amazon.awscdk.services.stepfunctions.LogLevel;
import software.amazon.awscdk.services.stepfunctions.LogOptions;
import software.constructs.Construct;

/** The compactor: the bucket, the workflow, the workers, the schedule, alarms and a dashboard. */
public class CompactorStack extends Stack {
  /** Intermediates left by failed runs are deleted after this many days. */
  public static final int INTERMEDIATE_EXPIRATION_DAYS = 7;

  /** Server access logs of the bucket are kept this many days. */
  public static final int ACCESS_LOG_EXPIRATION_DAYS = 90;

  private final Bucket bucket;
  private final Bucket accessLogs;
  private final CompactionWorkflow workflow;
  private final MergeWorkers workers;
  private final CompactorMonitoring monitoring;
  private final List<Rule> schedules;

  public CompactorStack(Construct scope, String id, CompactorStackProps props) {
    super(scope, id, props.stack());
    CompactorSettings settings = props.settings();

    // Who read or wrote which key, for audits (cdk-nag S1). Server access logs must go to an SSE-S3
    // bucket; S3's
    // log delivery is let in by a bucket policy rather than an ACL (the logs bucket, like the
    // other, has none).
    getNode().setContext("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", true);
    this.accessLogs =
        Bucket.Builder.create(this, "AccessLogs")
            .encryption(BucketEncryption.S3_MANAGED)
            .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
            .enforceSsl(true)
            .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
            .lifecycleRules(
                List.of(
                    LifecycleRule.builder()
                        .id("ExpireAccessLogs")
                        .expiration(Duration.days(ACCESS_LOG_EXPIRATION_DAYS))
                        .build()))
            .removalPolicy(RemovalPolicy.RETAIN)
            .build();
    var bucketBuilder = Bucket.Builder.create(this, "Bucket");
    if (settings.bucketKeys() == CompactorSettings.BucketKeys.KMS) {
      bucketBuilder
          .encryptionKey(
              Key.Builder.create(this, "BucketKey")
                  .enableKeyRotation(true)
                  .removalPolicy(RemovalPolicy.RETAIN)
                  .description("Chroma Compactor bucket (SSE-KMS)")
                  .build())
          .encryption(BucketEncryption.KMS)
          .bucketKeyEnabled(true);
    } else {
      bucketBuilder.encryption(BucketEncryption.S3_MANAGED);
    }
    this.bucket =
        bucketBuilder
            .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
            .enforceSsl(true)
            .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
            .serverAccessLogsBucket(accessLogs)
            .serverAccessLogsPrefix("compaction-bucket/")
            .lifecycleRules(
                List.of(
                    LifecycleRule.builder()
                        .id("ExpireIntermediates")
                        .prefix(StorageLayout.INTERMEDIATE_PREFIX)
                        .expiration(Duration.days(INTERMEDIATE_EXPIRATION_DAYS))
                        .build(),
                    LifecycleRule.builder()
                        .id("AbortIncompleteUploads")
                        .abortIncompleteMultipartUploadAfter(Duration.days(1))
                        .build()))
            .removalPolicy(RemovalPolicy.RETAIN)
            .build();

    this.workflow =
        new CompactionWorkflow(
            this,
            "Workflow",
            CompactionWorkflowProps.builder()
                .bucket(bucket)
                .parallelModeMaxEmbeddings(settings.parallelModeMaxEmbeddings())
                .inlineMapMaxChunks(settings.inlineMapMaxChunks())
                .maxConcurrency(settings.maxWorkers() * settings.workerConcurrency())
                .heartbeat(Duration.seconds(settings.heartbeatSeconds()))
                .lineages(settings.lineages())
                .logs(
                    LogOptions.builder()
                        .destination(
                            LogGroup.Builder.create(this, "WorkflowLogs")
                                .retention(RetentionDays.ONE_MONTH)
                                .removalPolicy(RemovalPolicy.DESTROY)
                                .build())
                        .level(LogLevel.ERROR)
                        .includeExecutionData(false)
                        .build())
                .build());

    this.workers =
        new MergeWorkers(
            this,
            "Workers",
            MergeWorkersProps.builder()
                .workflow(workflow)
                .image(props.workerImage())
                .cpu(settings.workerCpu())
                .memoryMiB(settings.workerMemoryMiB())
                .ephemeralStorageGiB(settings.workerEphemeralStorageGiB())
                .minWorkers(settings.minWorkers())
                .maxWorkers(settings.maxWorkers())
                .concurrency(settings.workerConcurrency())
                .settle(Duration.seconds(settings.settle().toSeconds()))
                .incompleteUploadLimit(
                    Duration.seconds(settings.incompleteUploadLimit().toSeconds()))
                .chromaVersion(settings.chromaVersion())
                .keepSnapshots(settings.keepSnapshots())
                .minSnapshotAge(Duration.seconds(settings.minSnapshotAge().toSeconds()))
                .deltaRetention(Duration.seconds(settings.deltaRetention().toSeconds()))
                .gcDryRun(settings.gcDryRun())
                .chunkSizes(settings.chunkSizes())
                .build());

    // One schedule per lineage: the unnamed one keeps the id and input it always had.
    List<Rule> rules = new ArrayList<>();
    settings
        .schedule()
        .ifPresent(
            expression -> {
              for (Lineage lineage : settings.lineages()) {
                Map<String, Object> input =
                    lineage.isNone()
                        ? Map.of("prefix", StorageLayout.DELTAS_PREFIX)
                        : Map.of("lineage", lineage.name());
                rules.add(
                    Rule.Builder.create(
                            this, lineage.isNone() ? "Schedule" : "Schedule-" + lineage.name())
                        .description(
                            "Starts a compaction of every pending delta under "
                                + lineage.root()
                                + StorageLayout.DELTAS_PREFIX)
                        .schedule(Schedule.expression(expression))
                        .targets(
                            List.of(
                                new SfnStateMachine(
                                    workflow.getStateMachine(),
                                    SfnStateMachineProps.builder()
                                        .input(RuleTargetInput.fromObject(input))
                                        .retryAttempts(2)
                                        .build())))
                        .build());
              }
            });
    this.schedules = List.copyOf(rules);

    this.monitoring =
        new CompactorMonitoring(
            this,
            "Monitoring",
            workflow,
            workers,
            Duration.seconds(settings.waitingAlarmAfter().toSeconds()));

    CfnOutput.Builder.create(this, "BucketName").value(bucket.getBucketName()).build();
    CfnOutput.Builder.create(this, "StateMachineArn")
        .value(workflow.getStateMachine().getStateMachineArn())
        .build();
    CfnOutput.Builder.create(this, "AlarmTopicArn")
        .value(monitoring.getAlarmTopic().getTopicArn())
        .build();

    CompactorChecks.answer(this);
  }

  public Bucket getBucket() {
    return bucket;
  }

  /** The bucket that receives the compaction bucket's server access logs. */
  public Bucket getAccessLogs() {
    return accessLogs;
  }

  public CompactionWorkflow getWorkflow() {
    return workflow;
  }

  public MergeWorkers getWorkers() {
    return workers;
  }

  public CompactorMonitoring getMonitoring() {
    return monitoring;
  }

  /** The schedule of the first lineage; empty when {@code scheduleEnabled=false}. */
  public Optional<Rule> getSchedule() {
    return schedules.stream().findFirst();
  }

  /**
   * One schedule per lineage, in the order of the settings; empty when {@code
   * scheduleEnabled=false}.
   */
  public List<Rule> getSchedules() {
    return schedules;
  }
}
