package com.chromacompactor.statemachine;

import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import software.amazon.awscdk.ArnComponents;
import software.amazon.awscdk.ArnFormat;
import software.amazon.awscdk.Aws;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.iam.Grant;
import software.amazon.awscdk.services.iam.GrantOnPrincipalOptions;
import software.amazon.awscdk.services.iam.IGrantable;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.stepfunctions.Activity;
import software.amazon.awscdk.services.stepfunctions.CatchProps;
import software.amazon.awscdk.services.stepfunctions.Chain;
import software.amazon.awscdk.services.stepfunctions.Choice;
import software.amazon.awscdk.services.stepfunctions.ChoiceJsonPathProps;
import software.amazon.awscdk.services.stepfunctions.Condition;
import software.amazon.awscdk.services.stepfunctions.CustomState;
import software.amazon.awscdk.services.stepfunctions.CustomStateProps;
import software.amazon.awscdk.services.stepfunctions.DefinitionBody;
import software.amazon.awscdk.services.stepfunctions.DistributedMap;
import software.amazon.awscdk.services.stepfunctions.DistributedMapJsonPathProps;
import software.amazon.awscdk.services.stepfunctions.Fail;
import software.amazon.awscdk.services.stepfunctions.FailJsonPathProps;
import software.amazon.awscdk.services.stepfunctions.IActivity;
import software.amazon.awscdk.services.stepfunctions.IChainable;
import software.amazon.awscdk.services.stepfunctions.JitterType;
import software.amazon.awscdk.services.stepfunctions.JsonPath;
import software.amazon.awscdk.services.stepfunctions.MapJsonPathProps;
import software.amazon.awscdk.services.stepfunctions.Pass;
import software.amazon.awscdk.services.stepfunctions.PassJsonPathProps;
import software.amazon.awscdk.services.stepfunctions.RetryProps;
import software.amazon.awscdk.services.stepfunctions.StateMachine;
import software.amazon.awscdk.services.stepfunctions.StateMachineType;
import software.amazon.awscdk.services.stepfunctions.Succeed;
import software.amazon.awscdk.services.stepfunctions.Timeout;
import software.amazon.awscdk.services.stepfunctions.tasks.StepFunctionsInvokeActivity;
import software.amazon.awscdk.services.stepfunctions.tasks.StepFunctionsInvokeActivityJsonPathProps;
import software.constructs.Construct;

/**
 * The compaction workflow: six activities and a Standard state machine (JSONPath, no ItemBatcher)
 * that runs them.
 *
 * <pre>
 *  Plan ─► HasWork ─(chunkCount == 0)─► CollectGarbage (below)
 *             │
 *             ▼
 *         SelectMode ─(totalEmbeddings &gt; threshold)─► SequentialMode ─┐
 *             └──────────────(otherwise)──────────► ParallelMode ────┤
 *                                                                    ▼
 *         SelectFanOut ─(chunkCount &gt; inline limit)─► CompactChunksDistributed (ItemReader: plan in S3) ─┐
 *             └─(otherwise)─► ListChunkIndexes ─► CompactChunksInline ──────────────────────────────────┤
 *                      each item: CompactChunk ─(error after retries)─► RecordFailedChunk ─► ChunkFailed │
 *                      either Map ─(error)─► CompactionFailed                                         ▼
 *         FinalMerge ─► Publish ─(Publish.Conflict)─► PublishConflict
 *                          └─► Cleanup ─► CollectGarbage ─(error after retries)─► ReportGcFailure ─┐
 *                                              └───────────────────────────────────────────────────┤
 *                                                            Finish ─(chunkCount == 0)─► NothingToCompact
 *                                                               └─(otherwise)─► Compacted
 * </pre>
 *
 * <p>Every activity task has HeartbeatSeconds and TimeoutSeconds, and retries {@link
 * ErrorNames#RETRYABLE} with exponential backoff and full jitter. The JSON each state passes is
 * described by the records in {@code com.chromacompactor.statemachine.contract}. Activity names are
 * generated.
 */
public class CompactionWorkflow extends Construct {
  private static final String STATES_NAMESPACE = "AWS/States";

  private final CompactionWorkflowProps props;
  private final IBucket bucket;
  private final Map<WorkflowStep, IActivity> activities;
  private final StateMachine stateMachine;

  public CompactionWorkflow(Construct scope, String id, CompactionWorkflowProps props) {
    super(scope, id);
    this.props = props;
    this.bucket = props.getBucket();
    Map<WorkflowStep, IActivity> acts = new EnumMap<>(WorkflowStep.class);
    for (WorkflowStep step : WorkflowStep.values()) {
      IActivity given = props.getActivities().get(step);
      acts.put(step, given != null ? given : new Activity(this, step.stateName() + "Activity"));
    }
    this.activities = Collections.unmodifiableMap(acts);

    StateMachine.Builder machine =
        StateMachine.Builder.create(this, "StateMachine")
            .stateMachineType(StateMachineType.STANDARD)
            .definitionBody(DefinitionBody.fromChainable(definition()))
            .timeout(props.getExecutionTimeout())
            .comment(
                "Compacts Chroma deltas into one snapshot: plan, compact chunks, merge, publish, clean up.");
    if (props.getLogs() != null) {
      machine.logs(props.getLogs());
    }
    this.stateMachine = machine.build();
    // ReportGcFailure: PutMetricData has no resource-level permissions; the condition keeps it to
    // one namespace.
    stateMachine.addToRolePolicy(
        PolicyStatement.Builder.create()
            .actions(List.of("cloudwatch:PutMetricData"))
            .resources(List.of("*"))
            .conditions(
                Map.of("StringEquals", Map.of("cloudwatch:namespace", MetricNames.NAMESPACE)))
            .build());
  }

  // ---------------------------------------------------------------- definition

  private IChainable definition() {
    StepFunctionsInvokeActivity plan =
        activityTask(
            WorkflowStep.PLAN,
            WorkflowStep.PLAN.stateName(),
            props.getStepTimeout(),
            StepFunctionsInvokeActivityJsonPathProps.builder()
                .parameters(
                    ordered(
                        "request", JsonPath.getEntirePayload(),
                        "executionName", JsonPath.getExecutionName(),
                        "executionArn", JsonPath.getExecutionId()))
                .resultSelector(
                    ordered(
                        "batchId", JsonPath.stringAt("$.batchId"),
                        "planKey", JsonPath.stringAt("$.planKey"),
                        "chunkCount", JsonPath.numberAt("$.chunkCount"),
                        "totalEmbeddings", JsonPath.numberAt("$.totalEmbeddings"),
                        "lineage", JsonPath.stringAt("$.lineage"),
                        "waitingDeltas", JsonPath.numberAt("$.waitingDeltas"),
                        "oldestWaitingSeconds", JsonPath.numberAt("$.oldestWaitingSeconds")))
                .resultPath("$.plan"));

    Fail compactionFailed =
        Fail.jsonPath(
            this,
            "CompactionFailed",
            FailJsonPathProps.builder()
                .comment(
                    "A Map failed: a chunk failed after its retries. The cause names the chunk.")
                .errorPath("$.failure.Error")
                .causePath(JsonPath.jsonToString(JsonPath.objectAt("$.failure")))
                .build());
    CatchProps mapCatch =
        CatchProps.builder().errors(List.of(ErrorNames.STATES_ALL)).resultPath("$.failure").build();

    StepFunctionsInvokeActivity finalMerge =
        activityTask(
            WorkflowStep.FINAL_MERGE,
            WorkflowStep.FINAL_MERGE.stateName(),
            props.getStepTimeout(),
            StepFunctionsInvokeActivityJsonPathProps.builder()
                .parameters(
                    ordered(
                        "batchId", JsonPath.stringAt("$.plan.batchId"),
                        "planKey", JsonPath.stringAt("$.plan.planKey"),
                        "chunkCount", JsonPath.numberAt("$.plan.chunkCount"),
                        "mode", JsonPath.stringAt("$.mode"),
                        "lineage", JsonPath.stringAt("$.plan.lineage")))
                .resultPath("$.merge"));

    DistributedMap distributedMap =
        DistributedMap.jsonPath(
            this,
            "CompactChunksDistributed",
            DistributedMapJsonPathProps.builder()
                .comment("One CompactChunk per element of the plan file (a JSON array in S3).")
                .itemReader(new PlanItemReader(bucket, props.getLineages()))
                .itemSelector(chunkTaskSelector(JsonPath.stringAt("$$.Map.Item.Value.chunkIndex")))
                .maxConcurrency(props.getMaxConcurrency())
                // Activities are not supported in Express workflows: child executions must be
                // Standard.
                .mapExecutionType(StateMachineType.STANDARD)
                .toleratedFailurePercentage(0)
                .resultPath(JsonPath.DISCARD)
                .build());
    distributedMap.itemProcessor(chunkProcessor("Distributed"));
    distributedMap.addCatch(compactionFailed, mapCatch);

    distributedMap.next(finalMerge);

    IChainable fanOut;
    if (props.getInlineMapMaxChunks() == 0) {
      fanOut = distributedMap;
    } else {
      fanOut =
          Choice.jsonPath(this, "SelectFanOut")
              .when(
                  Condition.numberGreaterThan("$.plan.chunkCount", props.getInlineMapMaxChunks()),
                  distributedMap)
              .otherwise(inlineFanOut(compactionFailed, mapCatch).next(finalMerge));
    }

    Choice selectMode =
        Choice.jsonPath(this, "SelectMode")
            .when(
                Condition.numberGreaterThan(
                    "$.plan.totalEmbeddings", props.getParallelModeMaxEmbeddings()),
                modePass("SequentialMode", CompactionMode.SEQUENTIAL).next(fanOut))
            .otherwise(modePass("ParallelMode", CompactionMode.PARALLEL).next(fanOut));

    StepFunctionsInvokeActivity collectGarbage = collectGarbage();
    Choice hasWork =
        Choice.jsonPath(this, "HasWork")
            .when(Condition.numberEquals("$.plan.chunkCount", 0), collectGarbage)
            .otherwise(selectMode);

    StepFunctionsInvokeActivity publish =
        activityTask(
            WorkflowStep.PUBLISH,
            WorkflowStep.PUBLISH.stateName(),
            props.getStepTimeout(),
            StepFunctionsInvokeActivityJsonPathProps.builder()
                .parameters(
                    ordered(
                        "batchId", JsonPath.stringAt("$.plan.batchId"),
                        "snapshotPrefix", JsonPath.stringAt("$.merge.snapshotPrefix"),
                        "lineage", JsonPath.stringAt("$.plan.lineage")))
                .resultPath("$.publish"));
    publish.addCatch(
        Fail.jsonPath(
            this,
            "PublishConflict",
            FailJsonPathProps.builder()
                .error(ErrorNames.PUBLISH_CONFLICT)
                .cause(
                    "Another run moved the latest pointer first; this run's snapshot was not published.")
                .build()),
        CatchProps.builder()
            .errors(List.of(ErrorNames.PUBLISH_CONFLICT))
            .resultPath("$.failure")
            .build());

    StepFunctionsInvokeActivity cleanup =
        activityTask(
            WorkflowStep.CLEANUP,
            WorkflowStep.CLEANUP.stateName(),
            props.getStepTimeout(),
            StepFunctionsInvokeActivityJsonPathProps.builder()
                .parameters(
                    ordered(
                        "batchId", JsonPath.stringAt("$.plan.batchId"),
                        "planKey", JsonPath.stringAt("$.plan.planKey"),
                        "chunkCount", JsonPath.numberAt("$.plan.chunkCount"),
                        "lineage", JsonPath.stringAt("$.plan.lineage")))
                .resultPath("$.cleanup"));

    finalMerge.next(publish).next(cleanup).next(collectGarbage);
    return plan.next(hasWork);
  }

  /**
   * CollectGarbage, the last step of every run (after Cleanup, or after a plan with nothing to
   * compact, so that retention goes on while a line is idle), then Finish. A failure after the
   * retries fails no batch: the error is kept at {@code $.gc} (the execution's output),
   * ReportGcFailure puts {@link MetricNames#GC_FAILURES} for the alarm, and the run ends as it
   * would have.
   */
  private StepFunctionsInvokeActivity collectGarbage() {
    Choice finish =
        Choice.jsonPath(
                this,
                "Finish",
                ChoiceJsonPathProps.builder()
                    .comment("Ends as the plan said: nothing to compact, or compacted.")
                    .build())
            .when(
                Condition.numberEquals("$.plan.chunkCount", 0),
                new Succeed(this, "NothingToCompact"))
            .otherwise(new Succeed(this, "Compacted"));
    StepFunctionsInvokeActivity collect =
        activityTask(
            WorkflowStep.COLLECT_GARBAGE,
            WorkflowStep.COLLECT_GARBAGE.stateName(),
            props.getStepTimeout(),
            StepFunctionsInvokeActivityJsonPathProps.builder()
                .parameters(ordered("lineage", JsonPath.stringAt("$.plan.lineage")))
                .resultPath("$.gc"));
    // The SDK integration itself, not CallAwsService: the state machine role may then put metrics
    // only in the
    // workers' namespace (see grantGcFailureMetric), as the workers may.
    CustomState report =
        new CustomState(
            this,
            "ReportGcFailure",
            CustomStateProps.builder()
                .stateJson(
                    ordered(
                        "Type",
                        "Task",
                        "Comment",
                        "Puts "
                            + MetricNames.GC_FAILURES
                            + " = 1: the alarm on it is where a failed GC"
                            + " shows.",
                        "Resource",
                        "arn:" + Aws.PARTITION + ":states:::aws-sdk:cloudwatch:putMetricData",
                        "Parameters",
                        ordered(
                            "Namespace",
                            MetricNames.NAMESPACE,
                            "MetricData",
                            List.of(
                                ordered(
                                    "MetricName",
                                    MetricNames.GC_FAILURES,
                                    "Value",
                                    1,
                                    "Unit",
                                    "Count"))),
                        "ResultPath",
                        JsonPath.DISCARD))
                .build());
    report.addRetry(
        RetryProps.builder()
            .errors(List.of(ErrorNames.STATES_ALL))
            .interval(props.getRetryInterval())
            .maxAttempts(props.getRetryAttempts())
            .jitterStrategy(JitterType.FULL)
            .build());
    report.addCatch(
        finish,
        CatchProps.builder()
            .errors(List.of(ErrorNames.STATES_ALL))
            .resultPath(JsonPath.DISCARD)
            .build());
    collect.addCatch(
        report.next(finish),
        CatchProps.builder().errors(List.of(ErrorNames.STATES_ALL)).resultPath("$.gc").build());
    collect.next(finish);
    return collect;
  }

  /** ListChunkIndexes, then the inline Map over 0 .. chunkCount - 1 (the plan stays in S3). */
  private Chain inlineFanOut(Fail compactionFailed, CatchProps mapCatch) {
    software.amazon.awscdk.services.stepfunctions.Map inlineMap =
        software.amazon.awscdk.services.stepfunctions.Map.jsonPath(
            this,
            "CompactChunksInline",
            MapJsonPathProps.builder()
                .comment(
                    "One CompactChunk per chunk index, for plans of at most "
                        + props.getInlineMapMaxChunks()
                        + " chunks.")
                .itemsPath("$.chunkIndexes")
                .itemSelector(chunkTaskSelector(JsonPath.stringAt("$$.Map.Item.Value")))
                .maxConcurrency(props.getMaxConcurrency())
                .resultPath(JsonPath.DISCARD)
                .build());
    inlineMap.itemProcessor(chunkProcessor(""));
    inlineMap.addCatch(compactionFailed, mapCatch);
    Pass listChunkIndexes =
        Pass.jsonPath(
            this,
            "ListChunkIndexes",
            PassJsonPathProps.builder()
                .comment("States.ArrayRange lists 0 .. chunkCount - 1 for the inline Map.")
                .parameters(
                    ordered(
                        "plan", JsonPath.objectAt("$.plan"),
                        "mode", JsonPath.stringAt("$.mode"),
                        "chunkIndexes.$",
                            "States.ArrayRange(0, States.MathAdd($.plan.chunkCount, -1), 1)"))
                .build());
    return listChunkIndexes.next(inlineMap);
  }

  /**
   * CompactChunk for one Map, with its own Catch path (state names are unique across the whole
   * definition).
   */
  private IChainable chunkProcessor(String suffix) {
    StepFunctionsInvokeActivity compact =
        activityTask(
            WorkflowStep.COMPACT_CHUNK,
            WorkflowStep.COMPACT_CHUNK.stateName() + suffix,
            props.getChunkTimeout(),
            StepFunctionsInvokeActivityJsonPathProps.builder());
    Pass record =
        Pass.jsonPath(
            this,
            "RecordFailedChunk" + suffix,
            PassJsonPathProps.builder()
                .comment(
                    "Keeps which chunk failed, and why, in the execution history (a ChunkFailure).")
                .parameters(
                    ordered(
                        "batchId", JsonPath.stringAt("$.batchId"),
                        "chunkIndex", JsonPath.numberAt("$.chunkIndex"),
                        "failure", JsonPath.objectAt("$.failure")))
                .build());
    Fail failed =
        Fail.jsonPath(
            this,
            "ChunkFailed" + suffix,
            FailJsonPathProps.builder()
                .error(ErrorNames.CHUNK_FAILED)
                .causePath(
                    JsonPath.format(
                        "chunk {} of batch {} failed with {}",
                        JsonPath.stringAt("$.chunkIndex"),
                        JsonPath.stringAt("$.batchId"),
                        JsonPath.stringAt("$.failure.Error")))
                .build());
    compact.addCatch(
        record.next(failed),
        CatchProps.builder()
            .errors(List.of(ErrorNames.STATES_ALL))
            .resultPath("$.failure")
            .build());
    return compact;
  }

  private static Map<String, Object> chunkTaskSelector(String chunkIndexPath) {
    Map<String, Object> selector = new LinkedHashMap<>();
    selector.put("batchId", JsonPath.stringAt("$.plan.batchId"));
    selector.put("planKey", JsonPath.stringAt("$.plan.planKey"));
    selector.put("chunkIndex", chunkIndexPath);
    selector.put("mode", JsonPath.stringAt("$.mode"));
    selector.put("lineage", JsonPath.stringAt("$.plan.lineage"));
    return selector;
  }

  /** A map that keeps the given order, so that the rendered definition is stable. */
  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  private Pass modePass(String id, CompactionMode mode) {
    return Pass.jsonPath(
        this,
        id,
        PassJsonPathProps.builder()
            .comment("Keeps only the plan, and sets mode = " + mode + ".")
            .parameters(ordered("plan", JsonPath.objectAt("$.plan"), "mode", mode.name()))
            .build());
  }

  private StepFunctionsInvokeActivity activityTask(
      WorkflowStep step,
      String stateName,
      Duration timeout,
      StepFunctionsInvokeActivityJsonPathProps.Builder builder) {
    StepFunctionsInvokeActivity task =
        StepFunctionsInvokeActivity.jsonPath(
            this,
            stateName,
            builder
                .activity(activities.get(step))
                .heartbeatTimeout(Timeout.duration(props.getHeartbeat()))
                .taskTimeout(Timeout.duration(timeout))
                .build());
    task.addRetry(
        RetryProps.builder()
            .errors(ErrorNames.RETRYABLE)
            .interval(props.getRetryInterval())
            .backoffRate(props.getRetryBackoffRate())
            .maxAttempts(props.getRetryAttempts())
            .maxDelay(props.getRetryMaxDelay())
            .jitterStrategy(JitterType.FULL)
            .build());
    return task;
  }

  // ---------------------------------------------------------------- accessors

  public StateMachine getStateMachine() {
    return stateMachine;
  }

  public IBucket getBucket() {
    return bucket;
  }

  /** The activity of one step, created here or passed in. */
  public IActivity getActivity(WorkflowStep step) {
    return activities.get(step);
  }

  /** All activities, in {@link WorkflowStep} order. */
  public Map<WorkflowStep, IActivity> getActivities() {
    return activities;
  }

  public CompactionWorkflowProps getProps() {
    return props;
  }

  // ---------------------------------------------------------------- grants

  /** Lets the grantee start executions (a schedule, a console user, a test). */
  public Grant grantStartExecution(IGrantable grantee) {
    return stateMachine.grantStartExecution(grantee);
  }

  /**
   * Lets the grantee work the activities: GetActivityTask, and SendTaskSuccess, SendTaskFailure and
   * SendTaskHeartbeat, all on this workflow's activity ARNs only.
   */
  public Grant grantActivityWorker(IGrantable grantee) {
    return Grant.addToPrincipal(
        GrantOnPrincipalOptions.builder()
            .grantee(grantee)
            .actions(
                List.of(
                    "states:GetActivityTask",
                    "states:SendTaskSuccess",
                    "states:SendTaskFailure",
                    "states:SendTaskHeartbeat"))
            .resourceArns(
                activities.values().stream()
                    .map(IActivity::getActivityArn)
                    .collect(Collectors.toList()))
            .build());
  }

  /**
   * Lets the grantee ask Step Functions whether an execution of this state machine still runs:
   * DescribeExecution on this state machine's executions only. Plan asks it about the execution
   * that holds a batch's claim, so that the claim of a failed, timed-out or aborted execution is
   * taken over by the next one.
   */
  public Grant grantDescribeExecutions(IGrantable grantee) {
    return Grant.addToPrincipal(
        GrantOnPrincipalOptions.builder()
            .grantee(grantee)
            .actions(List.of("states:DescribeExecution"))
            .resourceArns(
                List.of(
                    Stack.of(this)
                        .formatArn(
                            ArnComponents.builder()
                                .service("states")
                                .resource("execution")
                                .resourceName(stateMachine.getStateMachineName() + ":*")
                                .arnFormat(ArnFormat.COLON_RESOURCE_NAME)
                                .build())))
            .build());
  }

  /**
   * Lets the grantee use the bucket the way the workers do ({@link StorageLayout}), under the root
   * of each of the workflow's lineages ({@link CompactionWorkflowProps#getLineages()}): list and
   * read {@code deltas/}, {@code intermediate/}, {@code snapshots/}, {@code plans/} and {@code
   * quarantine/}; read and write {@code latest}; write {@code intermediate/}, {@code snapshots/},
   * {@code plans/} and {@code quarantine/}; delete under {@code intermediate/} (Cleanup), and under
   * {@code snapshots/}, {@code deltas/} and {@code plans/} (Plan gives a claim back; CollectGarbage
   * deletes what the retention rules no longer keep). Quarantine records and {@code latest} are
   * never deleted. Nothing else in the bucket, and no other lineage's keys.
   */
  public Grant grantWorkerStorage(IGrantable grantee) {
    List<Grant> grants = new ArrayList<>();
    grants.add(
        Grant.addToPrincipal(
            GrantOnPrincipalOptions.builder()
                .grantee(grantee)
                .actions(List.of("s3:ListBucket"))
                .resourceArns(List.of(bucket.getBucketArn()))
                .conditions(
                    Map.of(
                        "StringLike",
                        Map.of(
                            "s3:prefix",
                            underLineages(
                                StorageLayout.DELTAS_PREFIX + "*",
                                StorageLayout.INTERMEDIATE_PREFIX + "*",
                                StorageLayout.SNAPSHOTS_PREFIX + "*",
                                StorageLayout.PLANS_PREFIX + "*",
                                StorageLayout.QUARANTINE_PREFIX + "*"))))
                .build()));
    grants.add(
        objectGrant(
            grantee,
            List.of("s3:GetObject"),
            StorageLayout.DELTAS_PREFIX + "*",
            StorageLayout.INTERMEDIATE_PREFIX + "*",
            StorageLayout.SNAPSHOTS_PREFIX + "*",
            StorageLayout.PLANS_PREFIX + "*",
            StorageLayout.QUARANTINE_PREFIX + "*",
            StorageLayout.LATEST_KEY));
    grants.add(
        objectGrant(
            grantee,
            List.of("s3:PutObject", "s3:AbortMultipartUpload"),
            StorageLayout.INTERMEDIATE_PREFIX + "*",
            StorageLayout.SNAPSHOTS_PREFIX + "*",
            StorageLayout.PLANS_PREFIX + "*",
            StorageLayout.QUARANTINE_PREFIX + "*",
            StorageLayout.LATEST_KEY));
    grants.add(
        objectGrant(
            grantee,
            List.of("s3:DeleteObject"),
            StorageLayout.INTERMEDIATE_PREFIX + "*",
            StorageLayout.SNAPSHOTS_PREFIX + "*",
            StorageLayout.DELTAS_PREFIX + "*",
            StorageLayout.PLANS_PREFIX + "*"));
    if (bucket.getEncryptionKey() != null) {
      grants.add(bucket.getEncryptionKey().grantEncryptDecrypt(grantee));
    }
    Grant combined = grants.get(0);
    for (Grant g : grants.subList(1, grants.size())) {
      combined = combined.combine(g);
    }
    return combined;
  }

  /** Each pattern under the root of each lineage. */
  private List<String> underLineages(String... patterns) {
    List<String> out = new ArrayList<>();
    for (Lineage lineage : props.getLineages()) {
      for (String pattern : patterns) {
        out.add(lineage.root() + pattern);
      }
    }
    return out;
  }

  private Grant objectGrant(IGrantable grantee, List<String> actions, String... keyPatterns) {
    List<String> arns = new ArrayList<>();
    for (String pattern : underLineages(keyPatterns)) {
      arns.add(bucket.arnForObjects(pattern));
    }
    return Grant.addToPrincipal(
        GrantOnPrincipalOptions.builder()
            .grantee(grantee)
            .actions(actions)
            .resourceArns(arns)
            .build());
  }

  // ---------------------------------------------------------------- metrics

  /** Executions that failed (AWS/States ExecutionsFailed, sum). */
  public Metric metricExecutionsFailed(MetricOptions options) {
    return stateMachine.metricFailed(options);
  }

  /** Executions that succeeded (sum). */
  public Metric metricExecutionsSucceeded(MetricOptions options) {
    return stateMachine.metricSucceeded(options);
  }

  /** Executions started (sum). */
  public Metric metricExecutionsStarted(MetricOptions options) {
    return stateMachine.metricStarted(options);
  }

  /** Executions that timed out (sum). */
  public Metric metricExecutionsTimedOut(MetricOptions options) {
    return stateMachine.metricTimedOut(options);
  }

  /**
   * One AWS/States activity metric (sum) for one step, e.g. {@code ActivitiesHeartbeatTimedOut}.
   */
  public Metric metricActivity(WorkflowStep step, String metricName, Duration period) {
    return Metric.Builder.create()
        .namespace(STATES_NAMESPACE)
        .metricName(metricName)
        .dimensionsMap(Map.of("ActivityArn", activities.get(step).getActivityArn()))
        .statistic("Sum")
        .period(period)
        .build();
  }

  /** CompactChunk tasks whose worker stopped heartbeating (sum). */
  public Metric metricChunkHeartbeatTimedOut(Duration period) {
    return metricActivity(WorkflowStep.COMPACT_CHUNK, "ActivitiesHeartbeatTimedOut", period);
  }

  /**
   * The activity backlog: tasks scheduled minus tasks started during the period, summed over every
   * activity but CollectGarbage. A positive value means that work waited for a worker during the
   * period; it is the scale-out signal. An alarm's math may use at most 10 metrics (two per
   * activity); CollectGarbage is scheduled only the moment Plan or Cleanup finishes on a running
   * worker, well inside the 15 idle minutes before a scale-in, so a worker is there to take it.
   */
  public IMetric metricActivityBacklog(Duration period) {
    Map<String, IMetric> using = new LinkedHashMap<>();
    List<String> scheduled = new ArrayList<>();
    List<String> started = new ArrayList<>();
    int i = 0;
    for (WorkflowStep step : WorkflowStep.values()) {
      if (step == WorkflowStep.COLLECT_GARBAGE) {
        continue;
      }
      using.put("scheduled" + i, metricActivity(step, "ActivitiesScheduled", period));
      using.put("started" + i, metricActivity(step, "ActivitiesStarted", period));
      scheduled.add("FILL(scheduled" + i + ", 0)");
      started.add("FILL(started" + i + ", 0)");
      i++;
    }
    return MathExpression.Builder.create()
        .expression(
            "(" + String.join(" + ", scheduled) + ") - (" + String.join(" + ", started) + ")")
        .usingMetrics(using)
        .label("Activity backlog (scheduled - started)")
        .period(period)
        .build();
  }
}
