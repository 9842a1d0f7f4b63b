package com.chromacompactor.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.testing.LocalStackHealth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/**
 * The fault sweep on LocalStack (issue 17): the recorded baseline of a batch through the deployed
 * workflow, then the batch again with faults at its requests, each run judged by the validator in a
 * fresh process.
 *
 * <p>CI runs the baseline and the fixed sample (every fault at every step, in three runs). {@code
 * scripts/fault-sweep} runs the rest through the system property {@value #MODE}: {@code full}
 * (every request with every fault, one per run), {@code seeds} with {@code
 * faults.seeds=FIRST..LAST} (random schedules), {@code request} with {@code faults.request} and
 * {@code faults.fault} (one fault at one request; {@code faults.times} repeats it at the retries),
 * {@code sample} with {@code faults.sample=N} (one run of the sample); {@code faults.dir} chooses
 * the folder of the logs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultSweepTest {
  static final String MODE = "faults.mode";

  /**
   * {@code bad-delta} (the default) or {@code clean} (the default for seeds): which {@link
   * StartState.Variant}.
   */
  static final String START = "faults.start";

  private static FaultSweep sweep;
  private static StartState start;
  private static FaultSweep.Baseline baseline;

  @BeforeAll
  static void setUp() throws Exception {
    LocalStackHealth.require();
    String mode = System.getProperty(MODE, "sample");
    String chosen = System.getProperty("faults.dir");
    Path dir =
        chosen != null
            ? Path.of(chosen)
            : Path.of(
                    "target",
                    "fault-sweep",
                    LocalDateTime.now()
                            .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT))
                        + "-"
                        + mode)
                .toAbsolutePath();
    Files.createDirectories(dir);
    String variant = System.getProperty(START, mode.equals("seeds") ? "clean" : "bad-delta");
    start =
        StartState.get(
            switch (variant) {
              case "bad-delta" -> StartState.Variant.WITH_BAD_DELTA;
              case "clean" -> StartState.Variant.CLEAN;
              default ->
                  throw new IllegalArgumentException(
                      START + " must be bad-delta or clean, got " + variant);
            });
    AwsClients clients = new AwsClients(AwsSettings.localStack());
    BatchRun runner =
        new BatchRun(
            clients.stepFunctions(),
            clients.s3(),
            start,
            BatchRun.Settings.standard(),
            dir.resolve("model-cache"));
    sweep = new FaultSweep(runner, dir, System.out);
    sweep.print("fault sweep " + mode + " from the " + variant + " start, in " + dir);
  }

  @Test
  @Order(1)
  void baselineRecordsEveryMutatingRequestOfTheBatchOnceInWorkflowOrder() throws Exception {
    baseline = sweep.baseline();
    List<FaultSweep.Request> requests = baseline.requests();
    sweep.print(
        "baseline: "
            + requests.size()
            + " requests, heartbeats "
            + baseline.heartbeats()
            + "\n  "
            + requests.stream()
                .map(r -> r.index() + " " + r.task() + ": " + r.name())
                .collect(Collectors.joining("\n  ")));
    BatchRun.Outcome o = baseline.outcome();
    assertTrue(o.valid(), "the baseline validates: " + o.report().violations());
    assertEquals(ExecutionStatus.SUCCEEDED, o.executions().get(0).status(), o.line());
    assertNotNull(o.executions().get(0).published(), "the baseline publishes");
    assertNotNull(
        o.next().published(), "the next run publishes the pushed delta: " + o.next().describe());
    List<String> consumed = new ArrayList<>();
    o.report().facts().path("consumed").forEach(k -> consumed.add(k.asText()));
    assertTrue(consumed.contains("deltas/d07-pushed/"), "consumed: " + consumed);
    assertEquals(List.of(), o.fired(), "no fault in the baseline");
    assertEquals(List.of(), o.workerExits(), "no worker died");

    Set<String> names = new HashSet<>();
    requests.forEach(
        r -> assertTrue(names.add(r.name()), "each request happens once: " + r.name() + " twice"));
    for (WorkflowStep step : WorkflowStep.values()) {
      List<FaultSweep.Request> mine = baseline.ofStep(step.stateName());
      assertFalse(mine.isEmpty(), "requests of " + step.stateName());
      assertTrue(
          mine.get(mine.size() - 1).name().startsWith("sfn SUCCESS " + step.stateName()),
          "a task's last request reports its success: " + mine);
    }
    assertTrue(
        requests.stream().noneMatch(r -> r.step().equals("?") || r.step().equals("null")),
        "every request is tied to its task: " + requests);
    String batch = o.executions().get(0).published().split("/")[1];
    Function<String, Integer> at =
        name ->
            requests.stream()
                .filter(r -> r.name().equals(name))
                .findFirst()
                .map(FaultSweep.Request::index)
                .orElseThrow(() -> new AssertionError("no " + name + " in " + requests));
    assertEquals(
        0, at.apply("s3 PUT plans/" + batch + "/claim.json if-none-match"), "Plan claims first");
    if (start.variant == StartState.Variant.WITH_BAD_DELTA) {
      assertTrue(
          at.apply("s3 PUT quarantine/" + batch + "/d06-bad.json")
              < at.apply("s3 PUT plans/" + batch + "/chunks.json"),
          "the bad delta is quarantined before the plan is written");
    } else {
      assertTrue(
          requests.stream().noneMatch(r -> r.name().contains("quarantine/")),
          "nothing to quarantine");
    }
    for (int chunk = 0; chunk < 4; chunk++) {
      assertTrue(
          at.apply("s3 PUT intermediate/" + batch + "/chunk-" + chunk + "/chroma.sqlite3")
              < at.apply("s3 PUT intermediate/" + batch + "/chunk-" + chunk + "/manifest.json"),
          "a manifest comes last");
      at.apply("sfn SUCCESS CompactChunk[" + chunk + "]");
    }
    List<FaultSweep.Request> merge = baseline.ofStep("FinalMerge");
    assertEquals(
        "s3 PUT snapshots/" + batch + "/manifest.json",
        merge.get(merge.size() - 2).name(),
        "the snapshot's manifest is its last file");
    assertEquals(
        List.of("s3 PUT latest if-match", "sfn SUCCESS Publish"),
        baseline.ofStep("Publish").stream().map(FaultSweep.Request::name).toList());
    assertTrue(
        requests.stream()
            .anyMatch(
                r ->
                    r.step().equals("Cleanup")
                        && r.name().startsWith("s3 DELETE-OBJECTS intermediate/" + batch + "/ [")),
        "Cleanup deletes the intermediates");
    // The producer's push while the batch runs: every file, then the marker, last.
    List<String> push =
        baseline.ofStep(Producer.TASK).stream().map(FaultSweep.Request::name).toList();
    assertTrue(
        push.size() >= 2 && push.stream().allMatch(n -> n.startsWith("s3 PUT deltas/d07-pushed/")),
        push.toString());
    assertEquals(
        "s3 PUT deltas/d07-pushed/_delta.json", push.get(push.size() - 1), "the marker comes last");
    // The garbage collection (the sweep keeps one snapshot and no consumed delta): the base
    // snapshot, the consumed
    // deltas with their markers, the finished plans; each is a request of the baseline, swept like
    // the others.
    List<String> gc =
        baseline.ofStep("CollectGarbage").stream().map(FaultSweep.Request::name).toList();
    // In waves: the markers and manifests, then the files, then the plans and processed markers.
    assertEquals(4, gc.size(), gc.toString());
    assertTrue(
        gc.get(0).startsWith("s3 DELETE-OBJECTS deltas/d00-words/")
            && gc.get(0).contains("_delta.json")
            && gc.get(0).contains("manifest.json"),
        gc.toString());
    assertTrue(
        gc.get(1).startsWith("s3 DELETE-OBJECTS deltas/d00-words/")
            && gc.get(1).contains("chroma.sqlite3"),
        gc.toString());
    assertTrue(
        gc.get(2).startsWith("s3 DELETE-OBJECTS plans/") && gc.get(2).contains("plans/processed/"),
        gc.toString());
  }

  @Test
  @Order(2)
  void faultsAtEveryStepLeaveAValidStateAndTheNextRunPublishes() throws Exception {
    if (baseline == null) {
      fail("the baseline did not run");
    }
    String mode = System.getProperty(MODE, "sample");
    List<BatchRun.Schedule> schedules =
        switch (mode) {
          case "sample" -> sampleOrOne();
          case "regressions" -> FaultSweep.regressions(baseline);
          case "abort" ->
              List.of(
                  new BatchRun.Schedule(
                      "replay-abort",
                      FaultPlan.none(),
                      List.of(),
                      "scripts/fault-sweep --abort-after '"
                          + System.getProperty("faults.abortAfter")
                          + "'",
                      System.getProperty("faults.abortAfter"),
                      null));
          case "full" ->
              FaultSweep.everyRequest(
                  baseline,
                  Integer.getInteger("faults.from", 0),
                  Integer.getInteger("faults.to", Integer.MAX_VALUE));
          case "seeds" -> seeds(System.getProperty("faults.seeds", "1..10"));
          case "request" ->
              List.of(
                  FaultSweep.repeated(
                      System.getProperty("faults.request"),
                      FaultKind.valueOf(System.getProperty("faults.fault")),
                      Integer.getInteger("faults.times", 1),
                      "replay"));
          case "heartbeat" ->
              List.of(
                  FaultSweep.atHeartbeat(
                      baseline,
                      Arrays.stream(WorkflowStep.values())
                          .filter(s -> s.stateName().equals(System.getProperty("faults.heartbeat")))
                          .findFirst()
                          .orElseThrow(
                              () ->
                                  new IllegalArgumentException(
                                      "faults.heartbeat: no step "
                                          + System.getProperty("faults.heartbeat"))),
                      FaultKind.valueOf(System.getProperty("faults.fault")),
                      "replay"));
          case "baseline" -> List.of();
          default ->
              throw new IllegalArgumentException(
                  MODE
                      + " must be sample, regressions, full, seeds, request, heartbeat, abort or"
                      + " baseline: "
                      + mode);
        };
    if (mode.equals("sample")) {
      assertEveryFaultAtEveryStep(schedules);
    }
    FaultSweep.Summary summary = sweep.run(schedules);
    assertEquals(0, summary.failedValidation(), summary.text());
    if (!mode.equals("seeds")) {
      // Every fault at a request of the batch fires: the request happens in the run or in its
      // recovery.
      assertEquals(
          summary.faultsPlanned(), summary.faultsInjected(), "faults injected: " + summary.text());
    }
  }

  /** The sample and the regressions, or one run of the sample. */
  private List<BatchRun.Schedule> sampleOrOne() {
    List<BatchRun.Schedule> all = FaultSweep.sample(baseline);
    String one = System.getProperty("faults.sample");
    if (one != null) {
      return List.of(all.get(Integer.parseInt(one)));
    }
    List<BatchRun.Schedule> withRegressions = new ArrayList<>(all);
    withRegressions.addAll(FaultSweep.regressions(baseline));
    return withRegressions;
  }

  private List<BatchRun.Schedule> seeds(String range) {
    String[] bounds = range.split("\\.\\.");
    long first = Long.parseLong(bounds[0].trim());
    long last = bounds.length > 1 ? Long.parseLong(bounds[1].trim()) : first;
    List<BatchRun.Schedule> out = new ArrayList<>();
    for (long seed = first; seed <= last; seed++) {
      out.add(FaultSweep.random(baseline, seed));
    }
    return out;
  }

  private static void assertEveryFaultAtEveryStep(List<BatchRun.Schedule> schedules) {
    Map<String, String> stepOf =
        baseline.requests().stream()
            .collect(Collectors.toMap(FaultSweep.Request::name, FaultSweep.Request::step));
    Set<String> covered = new HashSet<>();
    for (BatchRun.Schedule s : schedules) {
      for (FaultPlan.Injection i : s.plan().injections()) {
        if (stepOf.containsKey(i.request())) {
          covered.add(stepOf.get(i.request()) + " " + i.kind().family());
        }
      }
    }
    for (String step : FaultSweep.steps()) {
      for (FaultKind.Family family : FaultSweep.FAULTS) {
        assertTrue(
            covered.contains(step + " " + family),
            step + " " + family + " not in the sample: " + covered);
      }
    }
  }
}
