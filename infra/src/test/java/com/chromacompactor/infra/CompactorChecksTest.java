package com.chromacompactor.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.CfnElement;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.cxapi.SynthesisMessage;

/**
 * The checks CDK users run, on the stack as the app synthesizes it (with each bucket encryption):
 * cdk-nag's AwsSolutions pack leaves no error and no warning, every accepted finding carries its
 * reason, and cfn-lint (pinned, in .venv-cfn-lint from scripts/setup-cfn-lint) reports nothing on
 * the template.
 */
class CompactorChecksTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path REPO_ROOT = Path.of(System.getProperty("compactor.repoRoot", ".."));
  private static final Path CFN_LINT =
      Path.of(
          System.getProperty(
              "cfn.lint", REPO_ROOT.resolve(".venv-cfn-lint/bin/cfn-lint").toString()));

  @TempDir static Path imageDir;

  private static final Map<String, Synthesized> STACKS = new HashMap<>();

  private record Synthesized(CompactorStack stack, Template template, JsonNode json) {}

  @BeforeAll
  static void synthesize() throws IOException {
    Files.copy(REPO_ROOT.resolve("workers/Dockerfile"), imageDir.resolve("Dockerfile"));
    for (String encryption : List.of("s3", "kms")) {
      App app =
          new App(
              AppProps.builder()
                  .context(
                      Map.of(
                          "workersDirectory", imageDir.toString(), "bucketEncryption", encryption))
                  .build());
      CompactorChecks.addRulePack(app);
      CompactorSettings settings = CompactorSettings.fromContext(app.getNode());
      CompactorStack stack =
          new CompactorStack(
              app,
              CompactorApp.STACK_ID,
              new CompactorStackProps(
                  StackProps.builder().build(),
                  settings,
                  WorkerImage.fromDirectory(settings.workersDirectory())));
      Template template = Template.fromStack(stack);
      STACKS.put(encryption, new Synthesized(stack, template, JSON.valueToTree(template.toJSON())));
    }
  }

  @Test
  void awsSolutionsLeavesNoErrorAndNoWarning() {
    STACKS.forEach(
        (encryption, s) -> {
          List<String> found = new ArrayList<>();
          for (SynthesisMessage m :
              Annotations.fromStack(s.stack())
                  .findError("*", Match.stringLikeRegexp("AwsSolutions-.*"))) {
            found.add(encryption + " error " + m.getId() + ": " + m.getEntry().getData());
          }
          for (SynthesisMessage m :
              Annotations.fromStack(s.stack())
                  .findWarning("*", Match.stringLikeRegexp("AwsSolutions-.*"))) {
            found.add(encryption + " warning " + m.getId() + ": " + m.getEntry().getData());
          }
          assertEquals(List.of(), found);
        });
  }

  @Test
  void everyAcceptedFindingIsNamedAndGivesItsReason() {
    TreeSet<String> rules = new TreeSet<>();
    STACKS
        .get("kms")
        .json()
        .get("Resources")
        .forEach(
            resource -> {
              for (JsonNode rule :
                  resource.path("Metadata").path("cdk_nag").path("rules_to_suppress")) {
                rules.add(rule.get("id").asText());
                assertTrue(rule.get("reason").asText().length() > 80, rule.toString());
              }
            });
    assertEquals(
        new TreeSet<>(
            List.of(
                "AwsSolutions-ECS2",
                "AwsSolutions-IAM5",
                "AwsSolutions-S1",
                "AwsSolutions-SF1",
                "AwsSolutions-SF2")),
        rules);
  }

  @Test
  void theFindingsThatAreFixedAreFixedInTheTemplate() {
    Template t = STACKS.get("s3").template();
    String logs =
        STACKS
            .get("s3")
            .stack()
            .resolve(
                ((CfnElement) STACKS.get("s3").stack().getAccessLogs().getNode().getDefaultChild())
                    .getLogicalId())
            .toString();
    t.hasResourceProperties(
        "AWS::S3::Bucket",
        Map.of(
            "LoggingConfiguration",
            Map.of(
                "DestinationBucketName",
                Map.of("Ref", logs),
                "LogFilePrefix",
                "compaction-bucket/")));
    t.hasResourceProperties(
        "AWS::ECS::Cluster",
        Map.of(
            "ClusterSettings", List.of(Map.of("Name", "containerInsights", "Value", "enabled"))));
    t.hasResourceProperties(
        "AWS::EC2::FlowLog",
        Map.of("TrafficType", "REJECT", "LogDestinationType", "cloud-watch-logs"));
  }

  @Test
  void cfnLintReportsNothing(@TempDir Path dir) throws Exception {
    assertTrue(Files.isExecutable(CFN_LINT), CFN_LINT + " is missing: run scripts/setup-cfn-lint");
    for (var e : STACKS.entrySet()) {
      Path file = dir.resolve(CompactorApp.STACK_ID + "-" + e.getKey() + ".template.json");
      Files.writeString(
          file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(e.getValue().json()));
      Process lint =
          new ProcessBuilder(CFN_LINT.toString(), "--", file.toString())
              .redirectErrorStream(true)
              .start();
      String report = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(lint.waitFor(120, TimeUnit.SECONDS), "cfn-lint did not finish");
      assertEquals("", report, e.getKey());
      assertEquals(0, lint.exitValue(), e.getKey() + ": " + report);
    }
  }
}
