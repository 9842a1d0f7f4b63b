package com.chromacompactor.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.services.ecr.assets.DockerImageAsset;
import software.amazon.awscdk.services.ecr.assets.DockerImageAssetProps;

/**
 * The synthesized CompactorStack. jsii boots once for this JVM; each template is synthesized once,
 * in {@link #synthesize()}, with context values that differ from the defaults so that the tests see
 * them flow through.
 */
class CompactorStackTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path REPO_ROOT = Path.of(System.getProperty("compactor.repoRoot", ".."));

  @TempDir static Path imageDir;

  private static Template template;
  private static JsonNode resources;
  private static JsonNode definition;
  private static Template unscheduled;
  private static Template lined;

  @BeforeAll
  static void synthesize() throws IOException {
    // A build context with the real Dockerfile and no jar: synth must not need the jar, nor Docker.
    Files.copy(REPO_ROOT.resolve("workers/Dockerfile"), imageDir.resolve("Dockerfile"));

    Map<String, Object> context = new HashMap<>();
    context.put("scheduleRate", "rate(30 minutes)");
    context.put("parallelModeMaxEmbeddings", 2000);
    context.put("heartbeatSeconds", 30);
    context.put("maxWorkers", 4);
    context.put("workerConcurrency", 3);
    context.put("workerCpu", "2048");
    context.put("workerMemoryMiB", 8192);
    context.put("workersDirectory", imageDir.toString());
    context.put("settle", "15m");
    context.put("incompleteUploadLimit", "2d");
    context.put("waitingAlarmAfter", "4h");
    context.put("chromaVersion", "1.3");
    context.put("keepSnapshots", 4);
    context.put("minSnapshotAge", "12h");
    context.put("deltaRetention", "3d");
    context.put("chunkSizes", Map.of("receipt_words", 15, "password_lines", 40));
    context.put("chunkSizeDefault", 20);
    template = synth(context);
    resources = JSON.valueToTree(template.toJSON()).get("Resources");
    definition =
        JSON.readTree(
            flatten(
                only("AWS::StepFunctions::StateMachine")
                    .get("Properties")
                    .get("DefinitionString")));

    Map<String, Object> off = new HashMap<>(context);
    off.put("scheduleEnabled", "false");
    off.put("bucketEncryption", "kms");
    unscheduled = synth(off);

    Map<String, Object> lines = new HashMap<>(context);
    lines.put("lineages", List.of("words", "lines"));
    lined = synth(lines);
  }

  private static Template synth(Map<String, Object> context) {
    App app = new App(AppProps.builder().context(context).build());
    CompactorSettings settings = CompactorSettings.fromContext(app.getNode());
    CompactorStack stack =
        new CompactorStack(
            app,
            "Test",
            new CompactorStackProps(
                StackProps.builder().build(),
                settings,
                WorkerImage.fromDirectory(settings.workersDirectory())));
    return Template.fromStack(stack);
  }

  /** A Fn::Join of strings and references, with each reference written as its logical id. */
  private static String flatten(JsonNode value) {
    if (value.isTextual()) {
      return value.asText();
    }
    StringBuilder out = new StringBuilder();
    for (JsonNode part : value.get("Fn::Join").get(1)) {
      if (part.isTextual()) {
        out.append(part.asText());
      } else if (part.has("Ref")) {
        out.append("REF:").append(part.get("Ref").asText());
      } else {
        out.append("EXPR:").append(part.toString().replace("\"", "'"));
      }
    }
    return out.toString();
  }

  private static List<JsonNode> ofType(String type) {
    List<JsonNode> out = new ArrayList<>();
    resources.forEach(
        r -> {
          if (r.get("Type").asText().equals(type)) {
            out.add(r);
          }
        });
    return out;
  }

  private static JsonNode only(String type) {
    List<JsonNode> all = ofType(type);
    assertEquals(1, all.size(), type);
    return all.get(0);
  }

  private static String logicalIdStartingWith(String type, String prefix) {
    List<String> ids = new ArrayList<>();
    resources
        .properties()
        .forEach(
            e -> {
              if (e.getValue().get("Type").asText().equals(type) && e.getKey().startsWith(prefix)) {
                ids.add(e.getKey());
              }
            });
    assertEquals(1, ids.size(), type + " " + prefix + ": " + ids);
    return ids.get(0);
  }

  private static JsonNode state(String name) {
    JsonNode states = definition.get("States");
    if (states.has(name)) {
      return states.get(name);
    }
    for (JsonNode s : states) {
      if (s.has("ItemProcessor") && s.get("ItemProcessor").get("States").has(name)) {
        return s.get("ItemProcessor").get("States").get(name);
      }
    }
    throw new AssertionError("no state " + name);
  }

  private static List<String> texts(JsonNode node) {
    List<String> out = new ArrayList<>();
    if (node.isTextual()) {
      out.add(node.asText());
    } else {
      node.forEach(n -> out.add(n.asText()));
    }
    return out;
  }

  // ------------------------------------------------------------------ bucket

  @Test
  void bucketIsEncryptedPrivateSslOnlyAndExpiresIntermediates() {
    JsonNode bucket =
        resources.get(logicalIdStartingWith("AWS::S3::Bucket", "Bucket")).get("Properties");
    assertEquals(
        "AES256",
        bucket
            .get("BucketEncryption")
            .get("ServerSideEncryptionConfiguration")
            .get(0)
            .get("ServerSideEncryptionByDefault")
            .get("SSEAlgorithm")
            .asText());
    JsonNode block = bucket.get("PublicAccessBlockConfiguration");
    for (String flag :
        List.of(
            "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")) {
      assertTrue(block.get(flag).asBoolean(), flag);
    }
    JsonNode rule = bucket.get("LifecycleConfiguration").get("Rules").get(0);
    assertEquals("intermediate/", rule.get("Prefix").asText());
    assertEquals(CompactorStack.INTERMEDIATE_EXPIRATION_DAYS, rule.get("ExpirationInDays").asInt());
    assertEquals("Enabled", rule.get("Status").asText());
    assertEquals(
        "Retain",
        resources
            .get(logicalIdStartingWith("AWS::S3::Bucket", "Bucket"))
            .get("DeletionPolicy")
            .asText());

    template.hasResourceProperties(
        "AWS::S3::BucketPolicy",
        Map.of(
            "PolicyDocument",
            Map.of(
                "Statement",
                Match.arrayWith(
                    List.of(
                        Match.objectLike(
                            Map.of(
                                "Effect",
                                "Deny",
                                "Action",
                                "s3:*",
                                "Principal",
                                Map.of("AWS", "*"),
                                "Condition",
                                Map.of("Bool", Map.of("aws:SecureTransport", "false")))))))));
  }

  // ------------------------------------------------------------------ workflow

  @Test
  void contextSetsTheModeThresholdHeartbeatAndMapConcurrency() {
    JsonNode rule = state("SelectMode").get("Choices").get(0);
    assertEquals("$.plan.totalEmbeddings", rule.get("Variable").asText());
    assertEquals(2000, rule.get("NumericGreaterThan").asInt());
    assertEquals("SequentialMode", rule.get("Next").asText());
    assertEquals(
        12, state("CompactChunksInline").get("MaxConcurrency").asInt(), "maxWorkers x concurrency");
    assertEquals(12, state("CompactChunksDistributed").get("MaxConcurrency").asInt());
  }

  @Test
  void compactChunkHeartbeatsRetriesWithJitterAndCatches() {
    JsonNode task = state("CompactChunk");
    assertEquals(30, task.get("HeartbeatSeconds").asInt());
    assertEquals(3600, task.get("TimeoutSeconds").asInt());
    String activity =
        logicalIdStartingWith("AWS::StepFunctions::Activity", "WorkflowCompactChunkActivity");
    assertEquals("REF:" + activity, task.get("Resource").asText());
    JsonNode retry = task.get("Retry").get(0);
    assertEquals(ErrorNames.RETRYABLE, texts(retry.get("ErrorEquals")));
    assertEquals("FULL", retry.get("JitterStrategy").asText());
    assertEquals("RecordFailedChunk", task.get("Catch").get(0).get("Next").asText());
  }

  @Test
  void distributedMapReadsThePlanFromTheStacksBucket() {
    JsonNode reader = state("CompactChunksDistributed").get("ItemReader");
    assertEquals(
        "REF:" + logicalIdStartingWith("AWS::S3::Bucket", "Bucket"),
        reader.get("Parameters").get("Bucket").asText());
    assertEquals("$.plan.planKey", reader.get("Parameters").get("Key.$").asText());
    assertFalse(definition.toString().contains("ItemBatcher"));
  }

  @Test
  void stateMachineLogsErrorsOnly() {
    JsonNode logging =
        only("AWS::StepFunctions::StateMachine").get("Properties").get("LoggingConfiguration");
    assertEquals("ERROR", logging.get("Level").asText());
    assertFalse(logging.get("IncludeExecutionData").asBoolean());
  }

  // ------------------------------------------------------------------ workers

  @Test
  void taskDefinitionRunsTheWorkerCommandWithBucketAndActivityArns() {
    JsonNode task = only("AWS::ECS::TaskDefinition").get("Properties");
    assertEquals("2048", task.get("Cpu").asText());
    assertEquals("8192", task.get("Memory").asText());
    assertEquals(List.of("FARGATE"), texts(task.get("RequiresCompatibilities")));
    assertEquals("X86_64", task.get("RuntimePlatform").get("CpuArchitecture").asText());
    JsonNode container = task.get("ContainerDefinitions").get(0);
    assertEquals(
        List.of(
            "java",
            "--add-modules",
            "jdk.incubator.vector",
            "-jar",
            "/app/compactor.jar",
            "worker"),
        texts(container.get("Command")));
    assertTrue(container.get("ReadonlyRootFilesystem").asBoolean());
    assertEquals(120, container.get("StopTimeout").asInt());
    assertEquals("/tmp", container.get("MountPoints").get(0).get("ContainerPath").asText());
    assertTrue(
        container.get("Image").toString().contains("container-assets"),
        "image is a Docker image asset");

    Map<String, JsonNode> env = new HashMap<>();
    container.get("Environment").forEach(e -> env.put(e.get("Name").asText(), e.get("Value")));
    assertEquals(
        logicalIdStartingWith("AWS::S3::Bucket", "Bucket"),
        env.get(WorkerEnvironment.BUCKET).get("Ref").asText());
    for (WorkflowStep step : WorkflowStep.values()) {
      String activity =
          logicalIdStartingWith(
              "AWS::StepFunctions::Activity", "Workflow" + step.stateName() + "Activity");
      assertEquals(activity, env.get(step.arnVariable()).get("Ref").asText(), step.arnVariable());
    }
    assertEquals(MetricNames.NAMESPACE, env.get(WorkerEnvironment.METRICS_NAMESPACE).asText());
    assertEquals("3", env.get(WorkerEnvironment.CONCURRENCY).asText());
    assertEquals(
        "10", env.get(WorkerEnvironment.HEARTBEAT_INTERVAL_SECONDS).asText(), "a third of 30 s");
    assertEquals("120", env.get(WorkerEnvironment.STOP_TIMEOUT_SECONDS).asText());
    assertEquals("15m", env.get(WorkerEnvironment.SETTLE).asText(), "from the context's settle");
    assertEquals("2d", env.get(WorkerEnvironment.INCOMPLETE_UPLOAD_LIMIT).asText());
    assertEquals(
        "4",
        env.get(WorkerEnvironment.GC_KEEP_SNAPSHOTS).asText(),
        "the context's retention rules");
    assertEquals("12h", env.get(WorkerEnvironment.GC_MIN_SNAPSHOT_AGE).asText());
    assertEquals("3d", env.get(WorkerEnvironment.GC_DELTA_RETENTION).asText());
    assertEquals("false", env.get(WorkerEnvironment.GC_DRY_RUN).asText());
    assertEquals(
        "password_lines=40,receipt_words=15",
        env.get(WorkerEnvironment.CHUNK_SIZES).asText(),
        "the context's chunk sizes by collection, as the workers read them");
    assertEquals("20", env.get(WorkerEnvironment.CHUNK_SIZE_DEFAULT).asText());
  }

  @Test
  void contextChunkSizesAreAnObjectOrNameEqualsSizeTextAndAreChecked() {
    ChunkSizes fromText =
        CompactorSettings.fromContext(
                new App(
                        AppProps.builder()
                            .context(Map.of("chunkSizes", "receipt_words=15, password_lines=40"))
                            .build())
                    .getNode())
            .chunkSizes();
    assertEquals(
        new ChunkSizes(ChunkSizes.DEFAULT_SIZE, Map.of("receipt_words", 15, "password_lines", 40)),
        fromText);
    assertEquals(40, fromText.of("password_lines"), "the name decides, not a word in it");
    assertEquals(ChunkSizes.defaults(), CompactorSettings.defaults().chunkSizes());
    assertEquals(
        "context chunkSizes of receipt_words must be at least 1 delta, got 0",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    CompactorSettings.fromContext(
                        new App(
                                AppProps.builder()
                                    .context(Map.of("chunkSizes", Map.of("receipt_words", 0)))
                                    .build())
                            .getNode()))
            .getMessage());
    assertEquals(
        "context chunkSizes must be collection=N entries separated by commas, got 'receipt_words' in"
            + " 'receipt_words'",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    CompactorSettings.fromContext(
                        new App(
                                AppProps.builder()
                                    .context(Map.of("chunkSizes", "receipt_words"))
                                    .build())
                            .getNode()))
            .getMessage());
    assertEquals(
        "context chunkSizeDefault must be at least 1 delta, got 0",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    CompactorSettings.fromContext(
                        new App(AppProps.builder().context(Map.of("chunkSizeDefault", 0)).build())
                            .getNode()))
            .getMessage());
  }

  @Test
  void contextKeyChromaVersionReachesTheWorkersAsTheirTarget() {
    // cdk -c chromaVersion=1.3: snapshots for readers on chromadb 1.3-1.4
    template.hasResourceProperties(
        "AWS::ECS::TaskDefinition",
        Match.objectLike(
            Map.of(
                "ContainerDefinitions",
                Match.arrayWith(
                    List.of(
                        Match.objectLike(
                            Map.of(
                                "Environment",
                                Match.arrayWith(
                                    List.of(
                                        Match.objectEquals(
                                            Map.of(
                                                "Name",
                                                WorkerEnvironment.CHROMA_VERSION,
                                                "Value",
                                                "1.3")))))))))));
    assertEquals(
        WorkerEnvironment.DEFAULT_CHROMA_VERSION, CompactorSettings.defaults().chromaVersion());
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompactorSettings.fromContext(
                    new App(AppProps.builder().context(Map.of("chromaVersion", "0.5")).build())
                        .getNode()));
    assertEquals(
        "chromaVersion must be one of [0.6, 1.0, 1.3, 1.5] (the readers' chromadb release line), got '0.5'",
        bad.getMessage());
  }

  @Test
  void fargateServiceStartsAtMinimumAndScalesOnBacklogAndIdleCpu() {
    JsonNode service = only("AWS::ECS::Service").get("Properties");
    assertEquals("FARGATE", service.get("LaunchType").asText());
    assertEquals(0, service.get("DesiredCount").asInt());
    assertEquals(
        "ENABLED",
        service
            .get("NetworkConfiguration")
            .get("AwsvpcConfiguration")
            .get("AssignPublicIp")
            .asText());

    JsonNode target = only("AWS::ApplicationAutoScaling::ScalableTarget").get("Properties");
    assertEquals(0, target.get("MinCapacity").asInt());
    assertEquals(4, target.get("MaxCapacity").asInt());
    assertEquals(2, ofType("AWS::ApplicationAutoScaling::ScalingPolicy").size());
    ofType("AWS::ApplicationAutoScaling::ScalingPolicy")
        .forEach(p -> assertEquals("StepScaling", p.get("Properties").get("PolicyType").asText()));

    JsonNode backlogAlarm = null;
    JsonNode idleAlarm = null;
    for (JsonNode alarm : ofType("AWS::CloudWatch::Alarm")) {
      String text = alarm.toString();
      if (text.contains("ActivitiesScheduled")) {
        backlogAlarm = alarm.get("Properties");
      } else if (text.contains("CPUUtilization")) {
        idleAlarm = alarm.get("Properties");
      }
    }
    assertTrue(backlogAlarm != null && idleAlarm != null, "scaling alarms");
    assertEquals("GreaterThanOrEqualToThreshold", backlogAlarm.get("ComparisonOperator").asText());
    assertEquals(1, backlogAlarm.get("Threshold").asInt());
    String expression = null;
    int scheduled = 0;
    for (JsonNode m : backlogAlarm.get("Metrics")) {
      if (m.has("Expression")) {
        expression = m.get("Expression").asText();
      } else if (m.get("MetricStat")
          .get("Metric")
          .get("MetricName")
          .asText()
          .equals("ActivitiesScheduled")) {
        scheduled++;
        assertEquals("AWS/States", m.get("MetricStat").get("Metric").get("Namespace").asText());
      }
    }
    assertEquals(5, scheduled, "one ActivitiesScheduled per activity");
    assertTrue(
        expression.startsWith("(FILL(scheduled0, 0) +")
            && expression.contains(") - (FILL(started0, 0)"),
        expression);
    assertEquals("LessThanOrEqualToThreshold", idleAlarm.get("ComparisonOperator").asText());
    assertEquals(5, idleAlarm.get("Threshold").asInt());
    assertEquals(15, idleAlarm.get("EvaluationPeriods").asInt());
  }

  // ------------------------------------------------------------------ schedule

  @Test
  void scheduleStartsTheStateMachineAtTheConfiguredRate() throws IOException {
    JsonNode rule = only("AWS::Events::Rule").get("Properties");
    assertEquals("rate(30 minutes)", rule.get("ScheduleExpression").asText());
    assertEquals("ENABLED", rule.get("State").asText());
    JsonNode target = rule.get("Targets").get(0);
    assertEquals(
        logicalIdStartingWith("AWS::StepFunctions::StateMachine", "WorkflowStateMachine"),
        target.get("Arn").get("Ref").asText());
    assertEquals(
        Map.of("prefix", "deltas/"), JSON.readValue(target.get("Input").asText(), Map.class));
  }

  @Test
  void eachLineageGetsItsOwnScheduleAndTheWorkersTheKeysOfTheLineagesOnly() throws IOException {
    JsonNode linedResources = JSON.valueToTree(lined.toJSON()).get("Resources");
    List<Map<?, ?>> inputs = new ArrayList<>();
    linedResources.forEach(
        r -> {
          if (r.get("Type").asText().equals("AWS::Events::Rule")) {
            assertEquals(
                "rate(30 minutes)", r.get("Properties").get("ScheduleExpression").asText());
            try {
              inputs.add(
                  JSON.readValue(
                      r.get("Properties").get("Targets").get(0).get("Input").asText(), Map.class));
            } catch (IOException e) {
              throw new AssertionError(e);
            }
          }
        });
    assertEquals(List.of(Map.of("lineage", "words"), Map.of("lineage", "lines")), inputs);
    String policies = JSON.valueToTree(lined.findResources("AWS::IAM::Policy")).toString();
    for (String key :
        List.of(
            "/words/deltas/*",
            "/lines/deltas/*",
            "/words/latest",
            "/lines/quarantine/*",
            "/words/plans/*",
            "lines/intermediate/*")) {
      assertTrue(policies.contains(key), key + " in " + policies);
    }
    for (String root : List.of("\"/deltas/*\"", "\"/latest\"", "\"/plans/*\"", "\"deltas/*\"")) {
      assertFalse(policies.contains(root), "no key at the bucket's root: " + root);
    }
  }

  @Test
  void scheduleDisappearsWhenDisabled() {
    unscheduled.resourceCountIs("AWS::Events::Rule", 0);
    unscheduled.resourceCountIs("AWS::StepFunctions::StateMachine", 1);
    unscheduled.resourceCountIs("AWS::ECS::Service", 1);
  }

  // ------------------------------------------------------------------ alarms and dashboard

  @Test
  void alarmsWatchWorkerMemoryAndFailedExecutions() {
    template.hasResourceProperties(
        "AWS::CloudWatch::Alarm",
        Map.of(
            "Namespace",
            MetricNames.NAMESPACE,
            "MetricName",
            MetricNames.MEMORY_USAGE_PERCENT,
            "Statistic",
            "Maximum",
            "Threshold",
            80,
            "ComparisonOperator",
            "GreaterThanThreshold",
            "TreatMissingData",
            "notBreaching",
            "AlarmActions",
            Match.arrayWith(
                List.of(
                    Match.objectLike(
                        Map.of("Ref", Match.stringLikeRegexp("MonitoringAlarmTopic.*")))))));
    template.hasResourceProperties(
        "AWS::CloudWatch::Alarm",
        Map.of(
            "Namespace", "AWS/States",
            "MetricName", "ExecutionsFailed",
            "Statistic", "Sum",
            "Threshold", 1,
            "ComparisonOperator", "GreaterThanOrEqualToThreshold",
            "Dimensions",
                List.of(
                    Map.of(
                        "Name",
                        "StateMachineArn",
                        "Value",
                        Map.of(
                            "Ref",
                            logicalIdStartingWith(
                                "AWS::StepFunctions::StateMachine", "WorkflowStateMachine"))))));
  }

  @Test
  void bucketEncryptionCanUseAKmsKeyThatTheWorkersMayUse() {
    unscheduled.resourceCountIs("AWS::KMS::Key", 1);
    unscheduled.hasResourceProperties("AWS::KMS::Key", Map.of("EnableKeyRotation", true));
    Object byDefault = Match.objectLike(Map.of("SSEAlgorithm", "aws:kms"));
    Object rule =
        Match.objectLike(
            Map.of("BucketKeyEnabled", true, "ServerSideEncryptionByDefault", byDefault));
    unscheduled.hasResourceProperties(
        "AWS::S3::Bucket",
        Map.of("BucketEncryption", Map.of("ServerSideEncryptionConfiguration", List.of(rule))));
    String policies = JSON.valueToTree(unscheduled.findResources("AWS::IAM::Policy")).toString();
    assertTrue(
        policies.contains("kms:Decrypt") && policies.contains("kms:GenerateDataKey"), policies);
    template.resourceCountIs("AWS::KMS::Key", 0);
  }

  @Test
  void quarantinedDeltasRaiseAnAlarm() {
    template.hasResourceProperties(
        "AWS::CloudWatch::Alarm",
        Map.of(
            "Namespace",
            MetricNames.NAMESPACE,
            "MetricName",
            MetricNames.DELTAS_QUARANTINED,
            "Statistic",
            "Sum",
            "Period",
            300,
            "Threshold",
            1,
            "ComparisonOperator",
            "GreaterThanOrEqualToThreshold",
            "AlarmActions",
            Match.arrayWith(
                List.of(
                    Match.objectLike(
                        Map.of("Ref", Match.stringLikeRegexp("MonitoringAlarmTopic.*")))))));
  }

  @Test
  void theOldestWaitingDeltaRaisesAnAlarmAfterTheConfiguredAge() {
    template.hasResourceProperties(
        "AWS::CloudWatch::Alarm",
        Map.of(
            "Namespace",
            MetricNames.NAMESPACE,
            "MetricName",
            MetricNames.OLDEST_WAITING_DELTA_SECONDS,
            "Statistic",
            "Maximum",
            "Threshold",
            4 * 3600,
            "ComparisonOperator",
            "GreaterThanThreshold",
            "TreatMissingData",
            "notBreaching",
            "AlarmActions",
            Match.arrayWith(
                List.of(
                    Match.objectLike(
                        Map.of("Ref", Match.stringLikeRegexp("MonitoringAlarmTopic.*")))))));
  }

  @Test
  void aFailedGarbageCollectionRaisesAnAlarm() {
    template.hasResourceProperties(
        "AWS::CloudWatch::Alarm",
        Map.of(
            "Namespace",
            MetricNames.NAMESPACE,
            "MetricName",
            MetricNames.GC_FAILURES,
            "Statistic",
            "Sum",
            "Period",
            300,
            "Threshold",
            1,
            "ComparisonOperator",
            "GreaterThanOrEqualToThreshold",
            "TreatMissingData",
            "notBreaching",
            "AlarmActions",
            Match.arrayWith(
                List.of(
                    Match.objectLike(
                        Map.of("Ref", Match.stringLikeRegexp("MonitoringAlarmTopic.*")))))));
    JsonNode report = state("ReportGcFailure");
    assertTrue(
        report.get("Resource").toString().contains(":states:::aws-sdk:cloudwatch:putMetricData"),
        report.toString());
    assertEquals(
        MetricNames.GC_FAILURES,
        report.get("Parameters").get("MetricData").get(0).get("MetricName").asText());
    String role = logicalIdStartingWith("AWS::IAM::Role", "WorkflowStateMachineRole");
    JsonNode put =
        statementsOf(role).stream()
            .filter(s -> texts(s.get("Action")).contains("cloudwatch:PutMetricData"))
            .findFirst()
            .orElseThrow();
    assertEquals(
        MetricNames.NAMESPACE,
        put.get("Condition").get("StringEquals").get("cloudwatch:namespace").asText(),
        "the state machine puts metrics in the workers' namespace only");
  }

  @Test
  void dashboardGraphsMemoryDeltaTimeThroughputAndExecutions() {
    String body =
        flatten(only("AWS::CloudWatch::Dashboard").get("Properties").get("DashboardBody"));
    for (String metric :
        List.of(
            "MemoryUsagePercent",
            "DeltaProcessingMs",
            "EmbeddingsPerSecond",
            "ExecutionsStarted",
            "ExecutionsSucceeded",
            "ExecutionsFailed",
            "ActivitiesScheduled",
            MetricNames.WAITING_DELTAS,
            MetricNames.OLDEST_WAITING_DELTA_SECONDS,
            MetricNames.GC_FAILURES)) {
      assertTrue(body.contains(metric), metric + " in " + body);
    }
    assertTrue(
        body.contains("SEARCH('{ChromaDB/Compaction} MetricName=\\\"DeltaProcessingMs\\\"'"), body);
    for (String perLineage :
        List.of(
            MetricNames.SNAPSHOT_BYTES,
            MetricNames.DELTA_BYTES,
            MetricNames.PENDING_DELTAS,
            MetricNames.OLDEST_PENDING_DELTA_SECONDS,
            MetricNames.GC_BYTES_FREED)) {
      assertTrue(
          body.contains(
              "SEARCH('{ChromaDB/Compaction,lineage} MetricName=\\\"" + perLineage + "\\\"'"),
          perLineage + " per lineage in " + body);
    }
    assertTrue(body.contains("Bucket bytes under snapshots/ and deltas/"), body);
  }

  // ------------------------------------------------------------------ IAM

  private static List<JsonNode> statementsOf(String rolePrefix) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode policy : ofType("AWS::IAM::Policy")) {
      for (JsonNode role : policy.get("Properties").get("Roles")) {
        if (rolePrefix == null || role.get("Ref").asText().startsWith(rolePrefix)) {
          policy.get("Properties").get("PolicyDocument").get("Statement").forEach(out::add);
          break;
        }
      }
    }
    return out;
  }

  @Test
  void noPolicyInTheStackGrantsS3WildcardsOrS3OnEveryResource() {
    List<JsonNode> statements = statementsOf(null);
    assertFalse(statements.isEmpty());
    for (JsonNode s : statements) {
      List<String> actions = texts(s.get("Action"));
      assertFalse(actions.contains("*"), s.toString());
      assertFalse(
          actions.stream().anyMatch(a -> a.equals("s3:*") || a.equals("s3:Delete*")), s.toString());
      if (actions.stream().anyMatch(a -> a.startsWith("s3:"))) {
        assertFalse(texts(s.get("Resource")).contains("*"), "S3 on Resource *: " + s);
      }
    }
  }

  @Test
  void taskRoleIsLeastPrivilege() {
    String taskRole = logicalIdStartingWith("AWS::IAM::Role", "WorkersTaskDefinitionTaskRole");
    List<JsonNode> statements = statementsOf(taskRole);
    JsonNode putMetric = null;
    JsonNode activities = null;
    JsonNode describe = null;
    List<String> s3Actions = new ArrayList<>();
    for (JsonNode s : statements) {
      List<String> actions = texts(s.get("Action"));
      assertEquals("Allow", s.get("Effect").asText());
      if (actions.contains("cloudwatch:PutMetricData")) {
        putMetric = s;
      } else if (actions.contains("states:GetActivityTask")) {
        activities = s;
      } else if (actions.contains("states:DescribeExecution")) {
        describe = s;
      } else {
        assertTrue(
            actions.stream().allMatch(a -> a.startsWith("s3:")), "unexpected statement " + s);
        s3Actions.addAll(actions);
      }
      if (texts(s.get("Resource")).contains("*")) {
        assertEquals(
            List.of("cloudwatch:PutMetricData"), actions, "only PutMetricData has no resource");
      }
    }
    assertEquals(
        MetricNames.NAMESPACE,
        putMetric.get("Condition").get("StringEquals").get("cloudwatch:namespace").asText());
    assertEquals(WorkflowStep.values().length, activities.get("Resource").size());
    activities
        .get("Resource")
        .forEach(r -> assertTrue(r.get("Ref").asText().startsWith("Workflow"), r.toString()));
    // Plan asks whether a claim's execution still runs: exactly DescribeExecution, on this state
    // machine's
    // executions (arn:...:execution:<its name>:*), nothing else of Step Functions.
    assertEquals(
        List.of("states:DescribeExecution"), texts(describe.get("Action")), describe.toString());
    JsonNode arn = describe.get("Resource").get("Fn::Join").get(1);
    String stateMachine =
        logicalIdStartingWith("AWS::StepFunctions::StateMachine", "WorkflowStateMachine");
    assertEquals(
        stateMachine,
        arn.get(arn.size() - 2).get("Fn::GetAtt").get(0).asText(),
        describe.toString());
    assertEquals(
        "Name", arn.get(arn.size() - 2).get("Fn::GetAtt").get(1).asText(), describe.toString());
    assertEquals(":*", arn.get(arn.size() - 1).asText(), describe.toString());
    assertTrue(
        arn.toString().contains(":states:") && arn.toString().contains(":execution:"),
        arn.toString());
    assertEquals(
        List.of(
            "s3:ListBucket",
            "s3:GetObject",
            "s3:PutObject",
            "s3:AbortMultipartUpload",
            "s3:DeleteObject"),
        s3Actions);
    assertTrue(statements.toString().contains("/deltas/*"));
    assertTrue(statements.toString().contains("/latest"));
  }

  @Test
  void stateMachineRoleReadsOnlyPlansForTheItemReader() {
    String role = logicalIdStartingWith("AWS::IAM::Role", "WorkflowStateMachineRole");
    List<JsonNode> s3 = new ArrayList<>();
    for (JsonNode s : statementsOf(role)) {
      if (texts(s.get("Action")).stream().anyMatch(a -> a.startsWith("s3:"))) {
        s3.add(s);
      }
    }
    assertEquals(1, s3.size(), s3.toString());
    assertEquals(List.of("s3:GetObject"), texts(s3.get(0).get("Action")));
    JsonNode parts = s3.get(0).get("Resource").get("Fn::Join").get(1);
    assertEquals("/plans/*", parts.get(parts.size() - 1).asText(), s3.toString());
  }

  // ------------------------------------------------------------------ settings and image asset

  @Test
  void settingsFallBackToDefaultsAndRejectBadValues() {
    CompactorSettings defaults = CompactorSettings.fromContext(new App().getNode());
    assertEquals(CompactorSettings.defaults(), defaults);
    assertEquals(Optional.of("rate(1 hour)"), defaults.schedule());

    IllegalArgumentException rate =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompactorSettings.fromContext(
                    new App(AppProps.builder().context(Map.of("scheduleRate", "hourly")).build())
                        .getNode()));
    assertTrue(rate.getMessage().contains("hourly"), rate.getMessage());
    IllegalArgumentException lineage =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompactorSettings.fromContext(
                    new App(
                            AppProps.builder()
                                .context(Map.of("lineages", "words,snapshots"))
                                .build())
                        .getNode()));
    assertTrue(
        lineage.getMessage().contains("context lineages: lineage 'snapshots' is a reserved name"),
        lineage.getMessage());
    assertEquals(
        List.of(Lineage.of("a"), Lineage.of("b")),
        CompactorSettings.fromContext(
                new App(AppProps.builder().context(Map.of("lineages", "a, b")).build()).getNode())
            .lineages());
    IllegalArgumentException settle =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompactorSettings.fromContext(
                    new App(AppProps.builder().context(Map.of("settle", "ten minutes")).build())
                        .getNode()));
    assertTrue(settle.getMessage().contains("context settle"), settle.getMessage());
    IllegalArgumentException flag =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompactorSettings.fromContext(
                    new App(AppProps.builder().context(Map.of("scheduleEnabled", "no")).build())
                        .getNode()));
    assertTrue(flag.getMessage().contains("scheduleEnabled"), flag.getMessage());
    assertEquals(
        Optional.empty(),
        CompactorSettings.fromContext(
                new App(AppProps.builder().context(Map.of("scheduleEnabled", false)).build())
                    .getNode())
            .schedule());
    assertEquals(3, defaults.keepSnapshots());
    assertEquals(Duration.ofDays(7), defaults.deltaRetention());
    IllegalArgumentException keep =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompactorSettings.fromContext(
                    new App(AppProps.builder().context(Map.of("keepSnapshots", 0)).build())
                        .getNode()));
    assertTrue(keep.getMessage().contains("keepSnapshots must be at least 1"), keep.getMessage());
    IllegalArgumentException retention =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompactorSettings.fromContext(
                    new App(AppProps.builder().context(Map.of("deltaRetention", "1w")).build())
                        .getNode()));
    assertTrue(retention.getMessage().contains("context deltaRetention"), retention.getMessage());
    assertTrue(
        CompactorSettings.fromContext(
                new App(AppProps.builder().context(Map.of("gcDryRun", "true")).build()).getNode())
            .gcDryRun());
  }

  @Test
  void imageAssetHashesOnlyTheDockerfileAndTheJar(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("Dockerfile"), "FROM eclipse-temurin:17-jre\n");
    Files.createDirectories(dir.resolve("target/classes"));
    Files.createDirectories(dir.resolve("src"));
    Files.writeString(dir.resolve("target/compactor.jar"), "jar v1");
    Files.writeString(dir.resolve("target/classes/A.class"), "class v1");
    Files.writeString(dir.resolve("src/A.java"), "source v1");
    String first = assetHash(dir);

    Files.writeString(dir.resolve("target/classes/A.class"), "class v2");
    Files.writeString(dir.resolve("src/A.java"), "source v2");
    Files.writeString(dir.resolve("pom.xml"), "<project/>");
    assertEquals(
        first, assetHash(dir), "sources, classes and other files are not part of the image");

    Files.writeString(dir.resolve("target/compactor.jar"), "jar v2");
    assertNotEquals(first, assetHash(dir), "a new jar is a new image");
  }

  /** Names and values that would put a credential in the task definition or the image. */
  private static final Pattern CREDENTIAL_NAME =
      Pattern.compile(
          "(?i).*(SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|ACCESS_KEY|PRIVATE_KEY|API_KEY).*");

  private static final Pattern AWS_KEY_ID = Pattern.compile("\\b(AKIA|ASIA)[A-Z0-9]{16}\\b");

  @Test
  void workersGetCredentialsFromTheTaskRoleOnlyNotFromTheEnvironmentOrTheImage()
      throws IOException {
    JsonNode task = only("AWS::ECS::TaskDefinition").get("Properties");
    assertEquals(
        logicalIdStartingWith("AWS::IAM::Role", "WorkersTaskDefinitionTaskRole"),
        task.get("TaskRoleArn").get("Fn::GetAtt").get(0).asText(),
        "the SDK's credentials: the task role");
    JsonNode container = task.get("ContainerDefinitions").get(0);
    assertFalse(container.has("Secrets"), "no secrets injected: " + container.get("Secrets"));
    assertFalse(
        container.has("EnvironmentFiles"),
        "no environment files: " + container.get("EnvironmentFiles"));
    container
        .get("Environment")
        .forEach(
            e -> {
              String name = e.get("Name").asText();
              assertFalse(
                  CREDENTIAL_NAME.matcher(name).matches() || name.startsWith("AWS_"),
                  "credential-like variable in the task definition: " + name);
            });
    String wholeTemplate = JSON.writeValueAsString(template.toJSON());
    assertFalse(AWS_KEY_ID.matcher(wholeTemplate).find(), "an AWS access key id in the template");
    assertFalse(
        wholeTemplate.toLowerCase(Locale.ROOT).contains("secret_access_key"),
        "a secret key in the template");

    // The image: the jar and nothing else from the build, no credential in ENV or ARG, not run as
    // root.
    List<String> dockerfile =
        Files.readAllLines(REPO_ROOT.resolve("workers/Dockerfile")).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    List<String> copies =
        dockerfile.stream().filter(l -> l.matches("(?i)^(COPY|ADD)\\s.*")).toList();
    assertEquals(List.of("COPY target/compactor.jar /app/compactor.jar"), copies);
    for (String line : dockerfile) {
      if (line.matches("(?i)^(ENV|ARG)\\s.*")) {
        String name = line.split("\\s+")[1].split("=")[0];
        assertFalse(
            CREDENTIAL_NAME.matcher(name).matches() || name.startsWith("AWS_"),
            "credential-like build or runtime variable: " + line);
      }
      assertFalse(
          line.contains(".aws/") || AWS_KEY_ID.matcher(line).find(),
          "credentials in the image: " + line);
    }
    assertTrue(dockerfile.contains("USER 10001:10001"), "runs as the unprivileged user");
  }

  private static String assetHash(Path dir) {
    Stack stack = new Stack(new App(), "Asset");
    return new DockerImageAsset(
            stack,
            "Image",
            DockerImageAssetProps.builder()
                .directory(dir.toString())
                .exclude(WorkerImage.EXCLUDE)
                .ignoreMode(WorkerImage.assetProps().getIgnoreMode())
                .platform(WorkerImage.assetProps().getPlatform())
                .build())
        .getAssetHash();
  }
}
