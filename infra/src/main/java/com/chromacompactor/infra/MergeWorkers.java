package com.chromacompactor.infra;

import com.chromacompactor.statemachine.CompactionWorkflow;
import com.chromacompactor.statemachine.contract.DurationText;
import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.applicationautoscaling.AdjustmentType;
import software.amazon.awscdk.services.applicationautoscaling.BasicStepScalingPolicyProps;
import software.amazon.awscdk.services.applicationautoscaling.EnableScalingProps;
import software.amazon.awscdk.services.applicationautoscaling.MetricAggregationType;
import software.amazon.awscdk.services.applicationautoscaling.ScalingInterval;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.ec2.FlowLogDestination;
import software.amazon.awscdk.services.ec2.FlowLogOptions;
import software.amazon.awscdk.services.ec2.FlowLogTrafficType;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointAwsService;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointOptions;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecs.AwsLogDriverProps;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerDefinition;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerInsights;
import software.amazon.awscdk.services.ecs.CpuArchitecture;
import software.amazon.awscdk.services.ecs.DeploymentCircuitBreaker;
import software.amazon.awscdk.services.ecs.FargateService;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.LogDrivers;
import software.amazon.awscdk.services.ecs.MountPoint;
import software.amazon.awscdk.services.ecs.OperatingSystemFamily;
import software.amazon.awscdk.services.ecs.RuntimePlatform;
import software.amazon.awscdk.services.ecs.ScalableTaskCount;
import software.amazon.awscdk.services.ecs.Volume;
import software.amazon.awscdk.services.iam.Grant;
import software.amazon.awscdk.services.iam.GrantOnPrincipalOptions;
import software.amazon.awscdk.services.iam.IGrantable;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.constructs.Construct;

/**
 * The activity workers: one Fargate service of {@code java -jar /app/compactor.jar worker}
 * processes that long-poll every activity of a {@link CompactionWorkflow}.
 *
 * <p>Scaling. Two step-scaling policies on one scalable target:
 *
 * <ul>
 *   <li>Scale out on the activity backlog, {@link CompactionWorkflow#metricActivityBacklog}: tasks
 *       scheduled minus tasks started, per minute, over all activities. A positive value means that
 *       work waited for a worker in that minute; +1 task from 1, +2 from 5, +5 from 20. This works
 *       from zero tasks, when nothing else emits data.
 *   <li>Scale in when the service's average CPU stays under 5% for 15 minutes: idle workers only
 *       long-poll, while a merge keeps a core busy, so a worker in the middle of a long chunk is
 *       not mistaken for idle (the activity metrics are silent during a long task). The step
 *       removes every task down to the minimum. A task stopped anyway gets SIGTERM and {@link
 *       #getProps() stopTimeout} to finish or fail its task as retryable.
 * </ul>
 *
 * <p>IAM. The task role may work this workflow's activities only, use the bucket along its key
 * layout only ({@link CompactionWorkflow#grantWorkerStorage}), and put metric data only in {@link
 * MetricNames#NAMESPACE}.
 */
public class MergeWorkers extends Construct {
  /**
   * The container command; the image's jar implements the {@code worker} subcommand. The module
   * gives the HNSW build its JDK vector API distance kernels (the same flag as workers/Dockerfile
   * and ./compactor).
   */
  public static final List<String> COMMAND =
      List.of(
          "java", "--add-modules", "jdk.incubator.vector", "-jar", "/app/compactor.jar", "worker");

  private static final String SCRATCH_VOLUME = "scratch";

  private final MergeWorkersProps props;
  private final Cluster cluster;
  private final FargateTaskDefinition taskDefinition;
  private final ContainerDefinition container;
  private final FargateService service;
  private final ScalableTaskCount scaling;

  public MergeWorkers(Construct scope, String id, MergeWorkersProps props) {
    super(scope, id);
    this.props = props;
    CompactionWorkflow workflow = props.getWorkflow();
    IVpc vpc = props.getVpc() != null ? props.getVpc() : ownVpc();
    // Per-task CPU, memory, network and storage in CloudWatch, beside the workers' own metrics
    // (cdk-nag ECS4).
    this.cluster =
        Cluster.Builder.create(this, "Cluster")
            .vpc(vpc)
            .containerInsightsV2(ContainerInsights.ENABLED)
            .build();

    this.taskDefinition =
        FargateTaskDefinition.Builder.create(this, "TaskDefinition")
            .cpu(props.getCpu())
            .memoryLimitMiB(props.getMemoryMiB())
            .ephemeralStorageGiB(props.getEphemeralStorageGiB())
            .runtimePlatform(
                RuntimePlatform.builder()
                    .cpuArchitecture(CpuArchitecture.X86_64)
                    .operatingSystemFamily(OperatingSystemFamily.LINUX)
                    .build())
            .volumes(List.of(Volume.builder().name(SCRATCH_VOLUME).build()))
            .build();

    LogGroup logs =
        LogGroup.Builder.create(this, "Logs")
            .retention(RetentionDays.ONE_MONTH)
            .removalPolicy(RemovalPolicy.DESTROY)
            .build();
    this.container =
        taskDefinition.addContainer(
            "Worker",
            ContainerDefinitionOptions.builder()
                .image(props.getImage())
                .command(COMMAND)
                .environment(environment(workflow))
                .logging(
                    LogDrivers.awsLogs(
                        AwsLogDriverProps.builder().logGroup(logs).streamPrefix("worker").build()))
                .stopTimeout(props.getStopTimeout())
                .readonlyRootFilesystem(true)
                .essential(true)
                .build());
    container.addMountPoints(
        MountPoint.builder()
            .sourceVolume(SCRATCH_VOLUME)
            .containerPath("/tmp")
            .readOnly(false)
            .build());

    workflow.grantActivityWorker(taskDefinition.getTaskRole());
    workflow.grantDescribeExecutions(taskDefinition.getTaskRole());
    workflow.grantWorkerStorage(taskDefinition.getTaskRole());
    grantPutMetricData(taskDefinition.getTaskRole());

    SecurityGroup noInbound =
        SecurityGroup.Builder.create(this, "SecurityGroup")
            .vpc(vpc)
            .description("Compaction workers: no inbound; outbound HTTPS to AWS APIs")
            .allowAllOutbound(true)
            .build();
    this.service =
        FargateService.Builder.create(this, "Service")
            .cluster(cluster)
            .taskDefinition(taskDefinition)
            .desiredCount(props.getMinWorkers())
            .assignPublicIp(true)
            .vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PUBLIC).build())
            .securityGroups(List.of(noInbound))
            .minHealthyPercent(0)
            .maxHealthyPercent(200)
            .circuitBreaker(DeploymentCircuitBreaker.builder().rollback(true).build())
            .build();

    this.scaling =
        service.autoScaleTaskCount(
            EnableScalingProps.builder()
                .minCapacity(props.getMinWorkers())
                .maxCapacity(props.getMaxWorkers())
                .build());
    scaling.scaleOnMetric(
        "ScaleOutOnBacklog",
        BasicStepScalingPolicyProps.builder()
            .metric(workflow.metricActivityBacklog(Duration.minutes(1)))
            .adjustmentType(AdjustmentType.CHANGE_IN_CAPACITY)
            .scalingSteps(
                List.of(
                    ScalingInterval.builder().upper(1).change(0).build(),
                    ScalingInterval.builder().lower(1).upper(5).change(1).build(),
                    ScalingInterval.builder().lower(5).upper(20).change(2).build(),
                    ScalingInterval.builder().lower(20).change(5).build()))
            .evaluationPeriods(1)
            .metricAggregationType(MetricAggregationType.MAXIMUM)
            .cooldown(Duration.minutes(2))
            .build());
    scaling.scaleOnMetric(
        "ScaleInWhenIdle",
        BasicStepScalingPolicyProps.builder()
            .metric(
                service.metricCpuUtilization(
                    MetricOptions.builder()
                        .period(Duration.minutes(1))
                        .statistic("Average")
                        .build()))
            .adjustmentType(AdjustmentType.PERCENT_CHANGE_IN_CAPACITY)
            .scalingSteps(
                List.of(
                    ScalingInterval.builder().upper(5).change(-100).build(),
                    ScalingInterval.builder().lower(5).change(0).build()))
            .evaluationPeriods(15)
            .metricAggregationType(MetricAggregationType.AVERAGE)
            .cooldown(Duration.minutes(5))
            .build());
  }

  /** A VPC of public subnets only (no NAT gateway to pay for), with a gateway endpoint for S3. */
  private Vpc ownVpc() {
    Vpc vpc =
        Vpc.Builder.create(this, "Vpc")
            .maxAzs(2)
            .natGateways(0)
            .subnetConfiguration(
                List.of(
                    SubnetConfiguration.builder()
                        .name("public")
                        .subnetType(SubnetType.PUBLIC)
                        .cidrMask(24)
                        .build()))
            .gatewayEndpoints(
                Map.of(
                    "S3",
                    GatewayVpcEndpointOptions.builder()
                        .service(GatewayVpcEndpointAwsService.S3)
                        .build()))
            .build();
    // Rejected connections only: the workers accept none, so these are what an audit wants (cdk-nag
    // VPC7).
    vpc.addFlowLog(
        "RejectedTraffic",
        FlowLogOptions.builder()
            .trafficType(FlowLogTrafficType.REJECT)
            .destination(
                FlowLogDestination.toCloudWatchLogs(
                    LogGroup.Builder.create(this, "FlowLogs")
                        .retention(RetentionDays.ONE_MONTH)
                        .removalPolicy(RemovalPolicy.DESTROY)
                        .build()))
            .build());
    return vpc;
  }

  private Map<String, String> environment(CompactionWorkflow workflow) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put(WorkerEnvironment.BUCKET, workflow.getBucket().getBucketName());
    for (WorkflowStep step : WorkflowStep.values()) {
      env.put(step.arnVariable(), workflow.getActivity(step).getActivityArn());
    }
    env.put(WorkerEnvironment.METRICS_NAMESPACE, MetricNames.NAMESPACE);
    env.put(WorkerEnvironment.CONCURRENCY, Integer.toString(props.getConcurrency()));
    env.put(
        WorkerEnvironment.HEARTBEAT_INTERVAL_SECONDS,
        Integer.toString(props.getHeartbeatInterval().toSeconds().intValue()));
    env.put(
        WorkerEnvironment.STOP_TIMEOUT_SECONDS,
        Integer.toString(props.getStopTimeout().toSeconds().intValue()));
    env.put(
        WorkerEnvironment.SETTLE,
        DurationText.formatSeconds(props.getSettle().toSeconds().longValue()));
    env.put(
        WorkerEnvironment.INCOMPLETE_UPLOAD_LIMIT,
        DurationText.formatSeconds(props.getIncompleteUploadLimit().toSeconds().longValue()));
    env.put(WorkerEnvironment.CHROMA_VERSION, props.getChromaVersion());
    env.put(WorkerEnvironment.GC_KEEP_SNAPSHOTS, Integer.toString(props.getKeepSnapshots()));
    env.put(
        WorkerEnvironment.GC_MIN_SNAPSHOT_AGE,
        DurationText.formatSeconds(props.getMinSnapshotAge().toSeconds().longValue()));
    env.put(
        WorkerEnvironment.GC_DELTA_RETENTION,
        DurationText.formatSeconds(props.getDeltaRetention().toSeconds().longValue()));
    env.put(WorkerEnvironment.GC_DRY_RUN, Boolean.toString(props.isGcDryRun()));
    env.put(WorkerEnvironment.CHUNK_SIZES, props.getChunkSizes().formatMapping());
    env.put(
        WorkerEnvironment.CHUNK_SIZE_DEFAULT,
        Integer.toString(props.getChunkSizes().defaultSize()));
    return env;
  }

  /**
   * Lets the grantee call PutMetricData, for {@link MetricNames#NAMESPACE} only (the action has no
   * resource).
   */
  public static Grant grantPutMetricData(IGrantable grantee) {
    return Grant.addToPrincipal(
        GrantOnPrincipalOptions.builder()
            .grantee(grantee)
            .actions(List.of("cloudwatch:PutMetricData"))
            .resourceArns(List.of("*"))
            .conditions(
                Map.of("StringEquals", Map.of("cloudwatch:namespace", MetricNames.NAMESPACE)))
            .build());
  }

  // ---------------------------------------------------------------- metrics

  /**
   * One of the workers' custom metrics, without dimensions (the aggregate series the workers also
   * publish).
   */
  public Metric metric(String metricName, String statistic, Duration period) {
    return Metric.Builder.create()
        .namespace(MetricNames.NAMESPACE)
        .metricName(metricName)
        .statistic(statistic)
        .period(period)
        .build();
  }

  /** Worker memory as a percentage of the container's limit (maximum over the period). */
  public Metric metricMemoryUsagePercent(Duration period) {
    return metric(MetricNames.MEMORY_USAGE_PERCENT, "Maximum", period);
  }

  /**
   * Age of the oldest delta that Plan found still uploading (maximum, no dimension: over every
   * lineage).
   */
  public Metric metricOldestWaitingDeltaSeconds(Duration period) {
    return metric(MetricNames.OLDEST_WAITING_DELTA_SECONDS, "Maximum", period);
  }

  /** Deltas that Plan found still uploading (maximum per period, no dimension). */
  public Metric metricWaitingDeltas(Duration period) {
    return metric(MetricNames.WAITING_DELTAS, "Maximum", period);
  }

  /** Deltas quarantined (sum, no dimension), for the alarm. */
  public Metric metricDeltasQuarantined(Duration period) {
    return metric(MetricNames.DELTAS_QUARANTINED, "Sum", period);
  }

  /**
   * A metric over every dimension combination the workers publish (batch, collection, none), for
   * graphs: a CloudWatch SEARCH expression. Alarms cannot use it.
   */
  public IMetric metricSearch(String metricName, String statistic, Duration period) {
    return MathExpression.Builder.create()
        .expression(
            "SEARCH('{"
                + MetricNames.NAMESPACE
                + "} MetricName=\""
                + metricName
                + "\"', '"
                + statistic
                + "', "
                + period.toSeconds()
                + ")")
        .label(metricName)
        .period(period)
        .build();
  }

  /**
   * One series per lineage of a figure the CollectGarbage step publishes with the {@code lineage}
   * dimension ({@link MetricNames#SNAPSHOT_BYTES}, ...), for graphs: a CloudWatch SEARCH
   * expression.
   */
  public IMetric metricPerLineage(String metricName, String statistic, Duration period) {
    return MathExpression.Builder.create()
        .expression(
            "SEARCH('{"
                + MetricNames.NAMESPACE
                + ","
                + MetricNames.DIMENSION_LINEAGE
                + "} MetricName=\""
                + metricName
                + "\"', '"
                + statistic
                + "', "
                + period.toSeconds()
                + ")")
        .label(metricName)
        .period(period)
        .build();
  }

  /**
   * CollectGarbage steps that failed after their retries (sum, no dimension), put by the state
   * machine.
   */
  public Metric metricGcFailures(Duration period) {
    return metric(MetricNames.GC_FAILURES, "Sum", period);
  }

  /** Time to merge one delta, every series. */
  public IMetric metricDeltaProcessingMs(Duration period) {
    return metricSearch(MetricNames.DELTA_PROCESSING_MS, "Average", period);
  }

  /** Merge throughput, every series. */
  public IMetric metricEmbeddingsPerSecond(Duration period) {
    return metricSearch(MetricNames.EMBEDDINGS_PER_SECOND, "Average", period);
  }

  /** The service's average CPU (the scale-in signal). */
  public Metric metricCpuUtilization(Duration period) {
    return service.metricCpuUtilization(
        MetricOptions.builder().period(period).statistic("Average").build());
  }

  // ---------------------------------------------------------------- accessors

  public MergeWorkersProps getProps() {
    return props;
  }

  public Cluster getCluster() {
    return cluster;
  }

  public FargateTaskDefinition getTaskDefinition() {
    return taskDefinition;
  }

  public ContainerDefinition getContainer() {
    return container;
  }

  public FargateService getService() {
    return service;
  }

  public ScalableTaskCount getScaling() {
    return scaling;
  }
}
