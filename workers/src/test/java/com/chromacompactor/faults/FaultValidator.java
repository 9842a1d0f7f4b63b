package com.chromacompactor.faults;

import com.chromacompactor.testing.ChromaPython;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code fault_validator.py validate} in a fresh Python process with real chromadb: it knows
 * nothing of the writer's process, reads the bucket as a reader does, and rebuilds what the
 * snapshot must hold from the producers' delta folders (see the script for the checks). Its verdict
 * comes back as a {@link Report}.
 */
final class FaultValidator {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path SCRIPT =
      Paths.get("src/test/python/fault_validator.py").toAbsolutePath();

  record Violation(String check, String detail) {
    @Override
    public String toString() {
      return check + ": " + detail;
    }
  }

  /**
   * @param facts what the validator found: chain, consumed, pending, quarantined, record counts
   */
  record Report(List<Violation> violations, JsonNode facts) {
    boolean ok() {
      return violations.isEmpty();
    }

    boolean has(String check) {
      return violations.stream().anyMatch(v -> v.check().equals(check));
    }
  }

  /**
   * What the validator is told besides the bucket: which runs reported success, and what must hold
   * by now.
   */
  record Expectations(
      List<SweepWorkflow.Execution> succeeded,
      List<SweepWorkflow.Execution> failed,
      List<String> runningBatches,
      boolean allConsumed) {}

  private FaultValidator() {}

  /**
   * @param bucket {@code {"s3": name, "endpoint": url}} or {@code {"dir": path}}
   */
  static Report validate(
      Path workDir,
      Map<String, String> bucket,
      List<StartState.Delta> deltas,
      Expectations expect,
      Path modelCache)
      throws IOException, InterruptedException {
    return validate(workDir, bucket, deltas, Map.of(), expect, modelCache);
  }

  /**
   * @param collectable snapshots that the garbage collection may have deleted once superseded, each
   *     with the deltas it consumed: the chain of {@code latest} may end at one of them
   */
  static Report validate(
      Path workDir,
      Map<String, String> bucket,
      List<StartState.Delta> deltas,
      Map<String, List<String>> collectable,
      Expectations expect,
      Path modelCache)
      throws IOException, InterruptedException {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("bucket", bucket);
    List<Map<String, Object>> order = new ArrayList<>();
    for (StartState.Delta d : deltas) {
      order.add(
          Map.of(
              "key",
              d.key(),
              "source",
              d.source().toString(),
              "sequence",
              d.sequence(),
              "bad",
              d.bad()));
    }
    spec.put("deltas", order);
    spec.put("collectable", collectable);
    List<Map<String, Object>> succeeded = new ArrayList<>();
    for (SweepWorkflow.Execution e : expect.succeeded()) {
      Map<String, Object> run = new LinkedHashMap<>();
      run.put("execution", e.name());
      run.put("published", e.published());
      succeeded.add(run);
    }
    spec.put("succeeded", succeeded);
    List<Map<String, Object>> failed = new ArrayList<>();
    for (SweepWorkflow.Execution e : expect.failed()) {
      Map<String, Object> run = new LinkedHashMap<>();
      run.put("execution", e.name());
      run.put("status", e.status().toString());
      run.put("error", e.error());
      failed.add(run);
    }
    spec.put("failed", failed);
    spec.put("running", expect.runningBatches());
    spec.put("expectAllConsumed", expect.allConsumed());
    spec.put("cache", modelCache.toString());
    Files.createDirectories(workDir);
    Path specFile = workDir.resolve("validate-spec.json");
    Path reportFile = workDir.resolve("validate-report.json");
    Path log = workDir.resolve("validate.log");
    JSON.writerWithDefaultPrettyPrinter().writeValue(specFile.toFile(), spec);
    Files.deleteIfExists(reportFile);
    Process p =
        new ProcessBuilder(
                ChromaPython.interpreter().toString(),
                SCRIPT.toString(),
                "validate",
                specFile.toString(),
                reportFile.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("the validator did not finish in 5 minutes: " + log);
    }
    if (!Files.exists(reportFile)) {
      throw new IllegalStateException(
          "the validator crashed (exit "
              + p.exitValue()
              + "): "
              + Files.readString(log, StandardCharsets.UTF_8));
    }
    JsonNode report = JSON.readTree(reportFile.toFile());
    List<Violation> violations = new ArrayList<>();
    report
        .path("violations")
        .forEach(
            v ->
                violations.add(new Violation(v.path("check").asText(), v.path("detail").asText())));
    if (p.exitValue() != (violations.isEmpty() ? 0 : 1)) {
      throw new IllegalStateException(
          "validator exit " + p.exitValue() + " disagrees with its report: " + log);
    }
    return new Report(violations, report.path("facts"));
  }
}
