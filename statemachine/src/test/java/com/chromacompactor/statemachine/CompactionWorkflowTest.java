package com.chromacompactor.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.statemachine.contract.AslTemplate;
import com.chromacompactor.statemachine.contract.ChunkFailure;
import com.chromacompactor.statemachine.contract.ChunkTask;
import com.chromacompactor.statemachine.contract.CollectGarbageInput;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.CompactionRequest;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.stepfunctions.Activity;

/**
 * The workflow construct, its rendered definition and its JSON contract. jsii boots once for this
 * JVM, and every template is synthesized once, in {@link #synthesize()}.
 */
class CompactionWorkflowTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BUCKET_REF = "WorkflowBucket";

  private static Template template;
  private static JsonNode policies;
  private static JsonNode asl;
  private static JsonNode customAsl;
  private static JsonNode lineagePolicies;

  @BeforeAll
  static void synthesize() throws Exception {
    App app = new App();
    Stack stack = new Stack(app, "WorkflowTest");
    Bucket bucket = new Bucket(stack, BUCKET_REF);
    Activity existingCleanup = new Activity(stack, "ExistingCleanup");
    CompactionWorkflow workflow =
        new CompactionWorkflow(
            stack,
            "Workflow",
            CompactionWorkflowProps.builder()
                .bucket(bucket)
                .activity(WorkflowStep.CLEANUP, existingCleanup)
                .build());
    Role worker =
        Role.Builder.create(stack, "WorkerRole")
            .assumedBy(new ServicePrincipal("ecs-tasks.amazonaws.com"))
            .build();
    workflow.grantActivityWorker(worker);
    workflow.grantWorkerStorage(worker);
    template = Template.fromStack(stack);
    policies = JSON.valueToTree(template.findResources("AWS::IAM::Policy"));

    Stack lined = new Stack(new App(), "LineageTest");
    CompactionWorkflow twoLines =
        new CompactionWorkflow(
            lined,
            "Workflow",
            CompactionWorkflowProps.builder()
                .bucket(new Bucket(lined, BUCKET_REF))
                .lineages(List.of(Lineage.of("words"), Lineage.of("lines")))
                .build());
    Role linedWorker =
        Role.Builder.create(lined, "WorkerRole")
            .assumedBy(new ServicePrincipal("ecs-tasks.amazonaws.com"))
            .build();
    twoLines.grantWorkerStorage(linedWorker);
    lineagePolicies = JSON.valueToTree(Template.fromStack(lined).findResources("AWS::IAM::Policy"));

    asl = JSON.readTree(AslExport.render());
    customAsl =
        JSON.readTree(
            AslExport.render(
                b ->
                    b.parallelModeMaxEmbeddings(5_000)
                        .inlineMapMaxChunks(0)
                        .heartbeat(Duration.seconds(20))
                        .maxConcurrency(7)));
  }

  private static JsonNode state(JsonNode definition, String name) {
    JsonNode found = findState(definition, name);
    assertNotNull(found, "no state " + name);
    return found;
  }

  private static JsonNode findState(JsonNode node, String name) {
    JsonNode states = node.get("States");
    if (states == null) {
      return null;
    }
    if (states.has(name)) {
      return states.get(name);
    }
    for (JsonNode s : states) {
      if (s.has("ItemProcessor")) {
        JsonNode inner = findState(s.get("ItemProcessor"), name);
        if (inner != null) {
          return inner;
        }
      }
    }
    return null;
  }

  private static List<JsonNode> allStates(JsonNode node) {
    List<JsonNode> out = new ArrayList<>();
    node.get("States")
        .forEach(
            s -> {
              out.add(s);
              if (s.has("ItemProcessor")) {
                out.addAll(allStates(s.get("ItemProcessor")));
              }
            });
    return out;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  // ------------------------------------------------------------------ definition

  @Test
  void planKeepsOnlyThePlanFieldsAtDollarPlan() {
    JsonNode plan = state(asl, "Plan");
    assertEquals(asl.get("StartAt").asText(), "Plan");
    assertEquals("$.plan", plan.get("ResultPath").asText());
    Set<String> keys = new HashSet<>();
    plan.get("ResultSelector").fieldNames().forEachRemaining(keys::add);
    assertEquals(
        Set.of(
            "batchId.$",
            "planKey.$",
            "chunkCount.$",
            "totalEmbeddings.$",
            "lineage.$",
            "waitingDeltas.$",
            "oldestWaitingSeconds.$"),
        keys);
    assertEquals("$", plan.get("Parameters").get("request.$").asText());
    assertEquals("$$.Execution.Name", plan.get("Parameters").get("executionName.$").asText());
    assertEquals("${PlanActivityArn}", plan.get("Resource").asText());
  }

  @Test
  void emptyPlanCollectsGarbageThenSucceedsWithoutCompacting() {
    JsonNode choice = state(asl, "HasWork").get("Choices").get(0);
    assertEquals("$.plan.chunkCount", choice.get("Variable").asText());
    assertEquals(0, choice.get("NumericEquals").asInt());
    assertEquals("CollectGarbage", choice.get("Next").asText());
    assertEquals("SelectMode", state(asl, "HasWork").get("Default").asText());
    JsonNode finish = state(asl, "Finish").get("Choices").get(0);
    assertEquals("$.plan.chunkCount", finish.get("Variable").asText());
    assertEquals(0, finish.get("NumericEquals").asInt());
    assertEquals("NothingToCompact", finish.get("Next").asText());
    assertEquals("Succeed", state(asl, "NothingToCompact").get("Type").asText());
  }

  @Test
  void choiceRunsSequentialAboveTheEmbeddingThresholdAndParallelOtherwise() {
    JsonNode selectMode = state(asl, "SelectMode");
    assertEquals("Choice", selectMode.get("Type").asText());
    JsonNode rule = selectMode.get("Choices").get(0);
    assertEquals("$.plan.totalEmbeddings", rule.get("Variable").asText());
    assertEquals(1500, rule.get("NumericGreaterThan").asLong());
    assertEquals("SequentialMode", rule.get("Next").asText());
    assertEquals("ParallelMode", selectMode.get("Default").asText());
    assertEquals("SEQUENTIAL", state(asl, "SequentialMode").get("Parameters").get("mode").asText());
    assertEquals("PARALLEL", state(asl, "ParallelMode").get("Parameters").get("mode").asText());
    assertEquals("$.plan", state(asl, "ParallelMode").get("Parameters").get("plan.$").asText());
  }

  @Test
  void largePlansUseTheDistributedMapAndSmallOnesTheInlineMap() {
    JsonNode rule = state(asl, "SelectFanOut").get("Choices").get(0);
    assertEquals("$.plan.chunkCount", rule.get("Variable").asText());
    assertEquals(100, rule.get("NumericGreaterThan").asInt());
    assertEquals("CompactChunksDistributed", rule.get("Next").asText());
    assertEquals("ListChunkIndexes", state(asl, "SelectFanOut").get("Default").asText());
    assertEquals(
        "States.ArrayRange(0, States.MathAdd($.plan.chunkCount, -1), 1)",
        state(asl, "ListChunkIndexes").get("Parameters").get("chunkIndexes.$").asText());
  }

  @Test
  void inlineMapIteratesChunkIndexesAndDiscardsResults() {
    JsonNode map = state(asl, "CompactChunksInline");
    assertEquals("Map", map.get("Type").asText());
    assertEquals("$.chunkIndexes", map.get("ItemsPath").asText());
    assertEquals("$$.Map.Item.Value", map.get("ItemSelector").get("chunkIndex.$").asText());
    assertEquals("$.plan.batchId", map.get("ItemSelector").get("batchId.$").asText());
    assertEquals("$.mode", map.get("ItemSelector").get("mode.$").asText());
    assertTrue(map.get("ResultPath").isNull(), "results must be discarded");
    assertEquals("INLINE", map.get("ItemProcessor").get("ProcessorConfig").get("Mode").asText());
    assertEquals(20, map.get("MaxConcurrency").asInt());
    assertEquals("FinalMerge", map.get("Next").asText());
  }

  @Test
  void distributedMapReadsThePlanFromS3WithStandardChildrenAndNoItemBatcher() {
    JsonNode map = state(asl, "CompactChunksDistributed");
    JsonNode reader = map.get("ItemReader");
    assertEquals("arn:aws:states:::s3:getObject", reader.get("Resource").asText());
    assertEquals("JSON", reader.get("ReaderConfig").get("InputType").asText());
    assertEquals(AslTemplate.BUCKET_NAME, reader.get("Parameters").get("Bucket").asText());
    assertEquals("$.plan.planKey", reader.get("Parameters").get("Key.$").asText());
    assertEquals(
        "$$.Map.Item.Value.chunkIndex", map.get("ItemSelector").get("chunkIndex.$").asText());
    JsonNode config = map.get("ItemProcessor").get("ProcessorConfig");
    assertEquals("DISTRIBUTED", config.get("Mode").asText());
    assertEquals(
        "STANDARD",
        config.get("ExecutionType").asText(),
        "activities need Standard child executions");
    assertTrue(map.get("ResultPath").isNull());
    assertFalse(asl.toString().contains("ItemBatcher"), "LocalStack has no ItemBatcher");
    assertFalse(asl.toString().contains("JSONata"), "LocalStack runs JSONPath only");
  }

  @Test
  void compactChunkHasHeartbeatTimeoutAndJitteredRetryInBothMaps() {
    for (String name : List.of("CompactChunk", "CompactChunkDistributed")) {
      JsonNode task = state(asl, name);
      assertEquals("${CompactChunkActivityArn}", task.get("Resource").asText());
      assertEquals(60, task.get("HeartbeatSeconds").asInt(), name);
      assertEquals(3600, task.get("TimeoutSeconds").asInt(), name);
      JsonNode retry = task.get("Retry").get(0);
      assertEquals(
          List.of(
              "States.Timeout",
              "States.HeartbeatTimeout",
              "Storage.Transient",
              "Worker.Interrupted"),
          texts(retry.get("ErrorEquals")));
      assertEquals("FULL", retry.get("JitterStrategy").asText());
      assertEquals(2.0, retry.get("BackoffRate").asDouble());
      assertEquals(3, retry.get("MaxAttempts").asInt());
      assertEquals(5, retry.get("IntervalSeconds").asInt());
      assertEquals(60, retry.get("MaxDelaySeconds").asInt());
    }
  }

  @Test
  void aFailedChunkIsRecordedAndFailsTheRunCleanly() {
    for (String suffix : List.of("", "Distributed")) {
      JsonNode catcher = state(asl, "CompactChunk" + suffix).get("Catch").get(0);
      assertEquals(List.of("States.ALL"), texts(catcher.get("ErrorEquals")));
      assertEquals("$.failure", catcher.get("ResultPath").asText());
      JsonNode record = state(asl, catcher.get("Next").asText());
      assertEquals("RecordFailedChunk" + suffix, catcher.get("Next").asText());
      assertEquals("$.chunkIndex", record.get("Parameters").get("chunkIndex.$").asText());
      assertEquals("$.failure", record.get("Parameters").get("failure.$").asText());
      JsonNode fail = state(asl, record.get("Next").asText());
      assertEquals("Fail", fail.get("Type").asText());
      assertEquals(ErrorNames.CHUNK_FAILED, fail.get("Error").asText());
      assertTrue(fail.get("CausePath").asText().startsWith("States.Format('chunk {} of batch {}"));
    }
    for (String map : List.of("CompactChunksInline", "CompactChunksDistributed")) {
      JsonNode catcher = state(asl, map).get("Catch").get(0);
      assertEquals(List.of("States.ALL"), texts(catcher.get("ErrorEquals")));
      assertEquals("CompactionFailed", catcher.get("Next").asText());
    }
    assertEquals("$.failure.Error", state(asl, "CompactionFailed").get("ErrorPath").asText());
  }

  @Test
  void finalMergePublishCleanupRunInOrderAndPublishConflictFailsCleanly() {
    assertEquals("Publish", state(asl, "FinalMerge").get("Next").asText());
    assertEquals("Cleanup", state(asl, "Publish").get("Next").asText());
    assertEquals("CollectGarbage", state(asl, "Cleanup").get("Next").asText());
    assertEquals("Finish", state(asl, "CollectGarbage").get("Next").asText());
    assertEquals("Compacted", state(asl, "Finish").get("Default").asText());
    assertEquals("Succeed", state(asl, "Compacted").get("Type").asText());
    JsonNode catcher = state(asl, "Publish").get("Catch").get(0);
    assertEquals(List.of(ErrorNames.PUBLISH_CONFLICT), texts(catcher.get("ErrorEquals")));
    JsonNode conflict = state(asl, catcher.get("Next").asText());
    assertEquals("Fail", conflict.get("Type").asText());
    assertEquals(ErrorNames.PUBLISH_CONFLICT, conflict.get("Error").asText());
    assertEquals(
        "$.merge.snapshotPrefix",
        state(asl, "Publish").get("Parameters").get("snapshotPrefix.$").asText());
  }

  @Test
  void everyActivityTaskHasHeartbeatTimeoutAndJitteredRetry() {
    int tasks = 0;
    for (JsonNode s : allStates(asl)) {
      if (!"Task".equals(s.get("Type").asText())
          || !s.get("Resource").asText().endsWith("ActivityArn}")) {
        continue;
      }
      tasks++;
      assertTrue(s.get("HeartbeatSeconds").asInt() > 0, s.toString());
      assertTrue(s.get("TimeoutSeconds").asInt() > s.get("HeartbeatSeconds").asInt(), s.toString());
      assertEquals("FULL", s.get("Retry").get(0).get("JitterStrategy").asText());
      assertTrue(s.get("Resource").asText().matches("\\$\\{[A-Za-z]+ActivityArn}"), s.toString());
    }
    assertEquals(7, tasks, "Plan, CompactChunk x2, FinalMerge, Publish, Cleanup, CollectGarbage");
    assertEquals(86400, asl.get("TimeoutSeconds").asInt());
  }

  @Test
  void aFailedGarbageCollectionIsReportedAndAlarmedButFailsNoBatch() {
    JsonNode collect = state(asl, "CollectGarbage");
    assertEquals("${CollectGarbageActivityArn}", collect.get("Resource").asText());
    assertEquals("$.plan.lineage", collect.get("Parameters").get("lineage.$").asText());
    assertEquals("$.gc", collect.get("ResultPath").asText());
    JsonNode catcher = collect.get("Catch").get(0);
    assertEquals(List.of(ErrorNames.STATES_ALL), texts(catcher.get("ErrorEquals")));
    assertEquals(
        "$.gc", catcher.get("ResultPath").asText(), "the error is the execution's output at $.gc");
    JsonNode report = state(asl, catcher.get("Next").asText());
    assertEquals(
        "arn:aws:states:::aws-sdk:cloudwatch:putMetricData", report.get("Resource").asText());
    assertEquals(MetricNames.NAMESPACE, report.get("Parameters").get("Namespace").asText());
    assertEquals(
        MetricNames.GC_FAILURES,
        report.get("Parameters").get("MetricData").get(0).get("MetricName").asText());
    assertEquals("Finish", report.get("Next").asText());
    JsonNode reportCatch = report.get("Catch").get(0);
    assertEquals(List.of(ErrorNames.STATES_ALL), texts(reportCatch.get("ErrorEquals")));
    assertEquals(
        "Finish",
        reportCatch.get("Next").asText(),
        "a metric that cannot be put fails no batch either");
    assertTrue(reportCatch.get("ResultPath").isNull());
    for (JsonNode s : allStates(asl)) {
      if ("Fail".equals(s.get("Type").asText())) {
        assertFalse(s.toString().contains("Gc"), "no Fail state follows the GC: " + s);
      }
    }
    JsonNode put = machineStatement("cloudwatch:PutMetricData");
    assertEquals(
        MetricNames.NAMESPACE,
        put.get("Condition").get("StringEquals").get("cloudwatch:namespace").asText(),
        "the state machine may put metrics in the workers' namespace only");
  }

  /** The statement of the state machine role's default policy that allows {@code action}. */
  private static JsonNode machineStatement(String action) {
    for (JsonNode policy : policies) {
      String role = policy.get("Properties").get("Roles").get(0).get("Ref").asText();
      if (!role.startsWith("WorkflowStateMachineRole")) {
        continue;
      }
      for (JsonNode statement : policy.get("Properties").get("PolicyDocument").get("Statement")) {
        if (statement.get("Action").toString().contains("\"" + action + "\"")) {
          return statement;
        }
      }
    }
    throw new AssertionError(
        "no statement with " + action + " in the state machine role's policy: " + policies);
  }

  @Test
  void propsChangeTheThresholdsAndZeroInlineChunksAlwaysDistributes() {
    assertEquals(
        5000,
        state(customAsl, "SelectMode").get("Choices").get(0).get("NumericGreaterThan").asLong());
    assertEquals("CompactChunksDistributed", state(customAsl, "ParallelMode").get("Next").asText());
    assertEquals(null, findState(customAsl, "SelectFanOut"));
    assertEquals(null, findState(customAsl, "CompactChunksInline"));
    assertEquals(20, state(customAsl, "CompactChunkDistributed").get("HeartbeatSeconds").asInt());
    assertEquals(7, state(customAsl, "CompactChunksDistributed").get("MaxConcurrency").asInt());
  }

  @Test
  void checkedInDefinitionMatchesTheConstruct() throws Exception {
    assertEquals(
        asl,
        JSON.readTree(AslTemplate.load()),
        "statemachine/src/main/resources"
            + AslTemplate.RESOURCE
            + " is stale; regenerate it with: "
            + "mvn -q -pl statemachine compile exec:java "
            + "-Dexec.mainClass=com.chromacompactor.statemachine.AslExport "
            + "-Dexec.args=\"--out statemachine/src/main/resources"
            + AslTemplate.RESOURCE
            + "\"");
  }

  @Test
  void bindingReplacesEveryPlaceholder() throws Exception {
    Map<WorkflowStep, String> arns = new EnumMap<>(WorkflowStep.class);
    for (WorkflowStep step : WorkflowStep.values()) {
      arns.put(step, "arn:aws:states:us-east-1:000000000000:activity:" + step.stateName());
    }
    String bound = AslTemplate.bind(AslTemplate.load(), "my-bucket", arns);
    assertFalse(bound.contains("${"), bound);
    JsonNode tree = JSON.readTree(bound);
    assertEquals(
        "arn:aws:states:us-east-1:000000000000:activity:CompactChunk",
        state(tree, "CompactChunkDistributed").get("Resource").asText());
    assertEquals(
        "my-bucket",
        state(tree, "CompactChunksDistributed")
            .get("ItemReader")
            .get("Parameters")
            .get("Bucket")
            .asText());
    arns.remove(WorkflowStep.PUBLISH);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AslTemplate.bind(AslTemplate.load(), "my-bucket", arns));
    assertTrue(e.getMessage().contains("PUBLISH"), e.getMessage());
  }

  // ------------------------------------------------------------------ construct resources and
  // grants

  @Test
  void createsTheMissingActivitiesAndReusesAGivenOne() {
    template.resourceCountIs("AWS::StepFunctions::Activity", 6);
    template.resourceCountIs("AWS::StepFunctions::StateMachine", 1);
    JsonNode activities = JSON.valueToTree(template.findResources("AWS::StepFunctions::Activity"));
    Set<String> ids = new HashSet<>();
    activities.fieldNames().forEachRemaining(ids::add);
    assertTrue(ids.stream().anyMatch(id -> id.startsWith("ExistingCleanup")), ids.toString());
    assertFalse(ids.stream().anyMatch(id -> id.contains("CleanupActivity")), ids.toString());
  }

  @Test
  void workerMayUseOnlyThisWorkflowsActivities() {
    JsonNode statement = findStatement("states:GetActivityTask");
    assertEquals(
        Set.of(
            "states:GetActivityTask",
            "states:SendTaskSuccess",
            "states:SendTaskFailure",
            "states:SendTaskHeartbeat"),
        new HashSet<>(texts(statement.get("Action"))));
    assertEquals(6, statement.get("Resource").size());
    for (JsonNode resource : statement.get("Resource")) {
      assertTrue(resource.has("Ref"), "activity ARN by Ref, not a wildcard: " + resource);
    }
  }

  @Test
  void workerStorageAccessFollowsTheKeyLayout() {
    JsonNode list = findStatement("s3:ListBucket");
    assertEquals(
        List.of("deltas/*", "intermediate/*", "snapshots/*", "plans/*", "quarantine/*"),
        texts(list.get("Condition").get("StringLike").get("s3:prefix")));
    assertEquals(
        Set.of(
            "/deltas/*", "/intermediate/*", "/snapshots/*", "/plans/*", "/quarantine/*", "/latest"),
        objectSuffixes(findStatement("s3:GetObject")));
    assertEquals(
        Set.of("/intermediate/*", "/snapshots/*", "/plans/*", "/quarantine/*", "/latest"),
        objectSuffixes(findStatement("s3:PutObject")));
    // CollectGarbage deletes snapshots, consumed deltas and plans; never a quarantine record or
    // latest
    assertEquals(
        Set.of("/intermediate/*", "/snapshots/*", "/deltas/*", "/plans/*"),
        objectSuffixes(findStatement("s3:DeleteObject")));
    String all = policies.toString();
    assertFalse(all.contains("\"s3:*\""), all);
    assertFalse(all.contains("s3:Delete*"), all);
    // the one "*": PutMetricData (no resource-level permissions) for ReportGcFailure, kept to one
    // namespace
    assertEquals(1, all.split("\"Resource\":\"\\*\"", -1).length - 1, all);
    assertTrue(all.contains("\"Action\":\"cloudwatch:PutMetricData\",\"Condition\""), all);
  }

  @Test
  void everyTaskAfterPlanWorksOnTheLineageThatPlanReturned() {
    for (String name : List.of("CompactChunk", "CompactChunkDistributed")) {
      JsonNode map =
          name.endsWith("Distributed")
              ? state(asl, "CompactChunksDistributed")
              : state(asl, "CompactChunksInline");
      assertEquals("$.plan.lineage", map.get("ItemSelector").get("lineage.$").asText(), name);
    }
    for (String name : List.of("FinalMerge", "Publish", "Cleanup", "CollectGarbage")) {
      assertEquals(
          "$.plan.lineage", state(asl, name).get("Parameters").get("lineage.$").asText(), name);
    }
  }

  @Test
  void workersOfALineagedWorkflowMayUseTheKeysOfItsLineagesOnly() {
    List<String> prefixes =
        texts(
            findStatement(lineagePolicies, "s3:ListBucket")
                .get("Condition")
                .get("StringLike")
                .get("s3:prefix"));
    assertEquals(
        List.of(
            "words/deltas/*",
            "words/intermediate/*",
            "words/snapshots/*",
            "words/plans/*",
            "words/quarantine/*",
            "lines/deltas/*",
            "lines/intermediate/*",
            "lines/snapshots/*",
            "lines/plans/*",
            "lines/quarantine/*"),
        prefixes);
    assertEquals(
        Set.of(
            "/words/deltas/*",
            "/words/intermediate/*",
            "/words/snapshots/*",
            "/words/plans/*",
            "/words/quarantine/*",
            "/words/latest",
            "/lines/deltas/*",
            "/lines/intermediate/*",
            "/lines/snapshots/*",
            "/lines/plans/*",
            "/lines/quarantine/*",
            "/lines/latest"),
        objectSuffixes(findStatement(lineagePolicies, "s3:GetObject")));
    Set<String> puts = objectSuffixes(findStatement(lineagePolicies, "s3:PutObject"));
    assertTrue(
        puts.contains("/words/quarantine/*") && puts.contains("/lines/latest"), puts.toString());
    assertFalse(
        puts.stream().anyMatch(p -> !p.startsWith("/words/") && !p.startsWith("/lines/")),
        "nothing outside the lineages: " + puts);
    assertEquals(
        Set.of(
            "/words/intermediate/*",
            "/words/snapshots/*",
            "/words/deltas/*",
            "/words/plans/*",
            "/lines/intermediate/*",
            "/lines/snapshots/*",
            "/lines/deltas/*",
            "/lines/plans/*"),
        objectSuffixes(findStatement(lineagePolicies, "s3:DeleteObject")));
    String all = lineagePolicies.toString();
    assertTrue(all.contains("/words/plans/*") && all.contains("/lines/plans/*"), all);
    assertFalse(
        all.contains("\"/plans/*\""), "the state machine reads no plans outside the lineages");
  }

  @Test
  void propsRefuseNoLineageOrTheSameOneTwice() {
    var bucket = Bucket.fromBucketName(new Stack(new App(), "Lineages"), "Imported", "some-bucket");
    assertThrows(
        IllegalArgumentException.class,
        () -> CompactionWorkflowProps.builder().bucket(bucket).lineages(List.of()).build());
    IllegalArgumentException twice =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompactionWorkflowProps.builder()
                    .bucket(bucket)
                    .lineages(List.of(Lineage.of("a"), Lineage.of("a")))
                    .build());
    assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Lineage.of("snapshots"));
    assertThrows(IllegalArgumentException.class, () -> Lineage.of("a/b"));
    assertEquals("words/plans/b-1/chunks.json", Lineage.of("words").planKey("b-1"));
    assertEquals("plans/b-1/chunks.json", Lineage.NONE.planKey("b-1"));
  }

  private static JsonNode findStatement(String action) {
    return findStatement(policies, action);
  }

  private static JsonNode findStatement(JsonNode policies, String action) {
    for (JsonNode policy : policies) {
      if (!policy
          .get("Properties")
          .get("Roles")
          .get(0)
          .get("Ref")
          .asText()
          .startsWith("WorkerRole")) {
        continue;
      }
      for (JsonNode statement : policy.get("Properties").get("PolicyDocument").get("Statement")) {
        JsonNode actions = statement.get("Action");
        if (actions.isTextual()
            ? actions.asText().equals(action)
            : texts(actions).contains(action)) {
          return statement;
        }
      }
    }
    throw new AssertionError(
        "no statement with " + action + " in the worker role's policy: " + policies);
  }

  /**
   * The key pattern after the bucket ARN in each object resource: {"Fn::Join": ["", [{GetAtt Arn},
   * "/deltas/*"]]}.
   */
  private static Set<String> objectSuffixes(JsonNode statement) {
    Set<String> out = new HashSet<>();
    JsonNode resources = statement.get("Resource");
    for (JsonNode r : resources.isArray() ? resources : JSON.createArrayNode().add(resources)) {
      JsonNode parts = r.get("Fn::Join").get(1);
      assertTrue(
          parts.get(0).get("Fn::GetAtt").get(0).asText().startsWith(BUCKET_REF), r.toString());
      out.add(parts.get(1).asText());
    }
    return out;
  }

  // ------------------------------------------------------------------ contract

  @Test
  void contractRecordsUseTheFieldNamesTheStatesSelect() throws Exception {
    JsonNode plan = JSON.valueToTree(new PlanOutput("b-1", "plans/b-1/chunks.json", 3, 1200));
    Set<String> keys = new HashSet<>();
    plan.fieldNames().forEachRemaining(keys::add);
    assertEquals(
        Set.of(
            "batchId",
            "planKey",
            "chunkCount",
            "totalEmbeddings",
            "lineage",
            "waitingDeltas",
            "oldestWaitingSeconds"),
        keys);
    assertEquals(
        "", plan.get("lineage").asText(), "the unnamed lineage is \"\" in a state's payload");
    assertEquals(
        Lineage.of("words"),
        JSON.readValue("{\"lineage\":\"words\"}", CompactionRequest.class).lineage());

    ChunkTask task =
        JSON.readValue(
            "{\"batchId\":\"b-1\",\"planKey\":\"plans/b-1/chunks.json\",\"chunkIndex\":2,\"mode\":\"SEQUENTIAL\"}",
            ChunkTask.class);
    assertEquals(new ChunkTask("b-1", "plans/b-1/chunks.json", 2, CompactionMode.SEQUENTIAL), task);

    ChunkFailure failure =
        JSON.readValue(
            "{\"batchId\":\"b-1\",\"chunkIndex\":4,"
                + "\"failure\":{\"Error\":\"States.HeartbeatTimeout\"}}",
            ChunkFailure.class);
    assertEquals("States.HeartbeatTimeout", failure.failure().error());
    assertEquals(null, failure.failure().cause());

    assertEquals(new CompactionRequest(null, null), JSON.readValue("{}", CompactionRequest.class));
    PlannedChunk[] chunks =
        JSON.readValue(
            "[{\"chunkIndex\":0,\"collection\":\"words\",\"chunkSize\":15,"
                + "\"deltaKeys\":[\"deltas/a/\"],\"embeddings\":10,\"extra\":true}]",
            PlannedChunk[].class);
    assertEquals(List.of("deltas/a/"), chunks[0].deltaKeys());

    assertEquals(
        new CollectGarbageInput(Lineage.NONE),
        JSON.readValue("{\"lineage\":\"\"}", CollectGarbageInput.class));
    assertEquals(
        Lineage.of("words"),
        JSON.readValue("{\"lineage\":\"words\"}", CollectGarbageInput.class).lineage());
    assertEquals(
        "(root)", MetricNames.lineageDimension(Lineage.NONE), "a dimension value cannot be empty");
    assertEquals("words", MetricNames.lineageDimension(Lineage.of("words")));
  }

  @Test
  void contractPackageImportsNothingButTheJdkAndJacksonAnnotations() throws Exception {
    Path dir = Path.of("src/main/java/com/chromacompactor/statemachine/contract");
    List<Path> sources;
    try (Stream<Path> files = Files.list(dir)) {
      sources = files.filter(f -> f.toString().endsWith(".java")).collect(Collectors.toList());
    }
    assertTrue(sources.size() >= 15, sources.toString());
    for (Path source : sources) {
      for (String line : Files.readAllLines(source)) {
        if (line.startsWith("import ")) {
          boolean allowed =
              line.startsWith("import java.")
                  || line.startsWith("import com.fasterxml.jackson.annotation.");
          assertTrue(
              allowed,
              source.getFileName() + ": " + line + " (workers depend on this package without CDK)");
        }
      }
    }
  }

  @Test
  void storageLayoutKeysAreDerivedFromTheBatch() {
    assertEquals("intermediate/b-1/chunk-3/", StorageLayout.intermediatePrefix("b-1", 3));
    assertEquals("plans/b-1/chunks.json", StorageLayout.planKey("b-1"));
    assertThrows(IllegalArgumentException.class, () -> StorageLayout.planKey("a/b"));
    assertThrows(IllegalArgumentException.class, () -> StorageLayout.intermediatePrefix("b", -1));
  }

  @Test
  void propsRejectValuesTheDefinitionCannotHonour() {
    var bucket = Bucket.fromBucketName(new Stack(new App(), "Props"), "Imported", "some-bucket");
    IllegalArgumentException inline =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompactionWorkflowProps.builder().bucket(bucket).inlineMapMaxChunks(1001).build());
    assertTrue(inline.getMessage().contains("1001"), inline.getMessage());
    IllegalArgumentException timeout =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompactionWorkflowProps.builder()
                    .bucket(bucket)
                    .heartbeat(Duration.minutes(5))
                    .chunkTimeout(Duration.minutes(5))
                    .build());
    assertTrue(timeout.getMessage().startsWith("chunkTimeout"), timeout.getMessage());
    assertThrows(NullPointerException.class, () -> CompactionWorkflowProps.builder().build());
  }
}
