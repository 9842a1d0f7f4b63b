package com.chromacompactor.faults;

import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The sweep: a baseline run records every mutating request of the batch, and each schedule runs the
 * batch again from the same start with faults at those requests ({@link BatchRun}). The schedules:
 *
 * <ul>
 *   <li>{@link #everyRequest}: each recorded request with each of the three faults, one fault per
 *       run, and the first heartbeat of each step's first task with each fault (that task held past
 *       the heartbeat interval first: how many heartbeats a task sends depends on timing);
 *   <li>{@link #sample}: CI's fixed sample, three runs that together put every fault at every step;
 *   <li>{@link #random}: a seed's random schedule: several faults at random requests, random
 *       delays, and maybe a second execution of the same batch started while the first runs.
 * </ul>
 */
final class FaultSweep {
  static final List<FaultKind.Family> FAULTS =
      List.of(
          FaultKind.Family.FAIL_BEFORE,
          FaultKind.Family.LOSE_RESPONSE_AFTER,
          FaultKind.Family.KILL_AFTER);
  private static final String COMMAND = "scripts/fault-sweep";

  /**
   * One request of the baseline, at its place in the canonical order: by step (in workflow order),
   * chunk, then its place among its task's own requests, which one thread makes one after the
   * other. Parallel chunks interleave differently in every run; this order does not.
   */
  record Request(int index, String name, String step, Integer chunk) {
    String task() {
      return step + (chunk == null ? "" : "[" + chunk + "]");
    }
  }

  /**
   * The baseline: its requests in canonical order, the heartbeats it sent (by step), and the run
   * itself.
   */
  record Baseline(List<Request> requests, List<String> heartbeats, BatchRun.Outcome outcome) {
    List<Request> ofStep(String step) {
      return requests.stream().filter(r -> r.step().equals(step)).toList();
    }
  }

  /** The figures of a sweep, for docs/reliability.md. */
  /**
   * @param faultsPlanned faults at the batch's requests; each must fire, since every request
   *     happens in the run or in its recovery
   * @param heartbeatFaultsPlanned faults at a step's first heartbeat, which fire only if a task of
   *     the step ran long enough to send one
   */
  record Summary(
      int runs,
      int requestsSwept,
      int faultsPlanned,
      int faultsInjected,
      int heartbeatFaultsPlanned,
      int heartbeatFaultsInjected,
      int executionsSucceeded,
      int recovered,
      int failedValidation,
      Duration took,
      List<String> failures) {
    String text() {
      return String.format(
              Locale.ROOT,
              "runs %d, requests swept %d, faults injected %d of %d planned (and %d of %d"
                  + " at heartbeats); faulted executions that succeeded by themselves %d; runs that recovered to a valid state"
                  + " %d; states that failed validation %d; %d min %d s",
              runs,
              requestsSwept,
              faultsInjected,
              faultsPlanned,
              heartbeatFaultsInjected,
              heartbeatFaultsPlanned,
              executionsSucceeded,
              recovered,
              failedValidation,
              took.toMinutes(),
              took.toSecondsPart())
          + (failures.isEmpty() ? "" : "\nfailed:\n  " + String.join("\n  ", failures));
    }
  }

  private final BatchRun runner;
  private final Path dir;
  private final PrintStream out;

  FaultSweep(BatchRun runner, Path dir, PrintStream out) {
    this.runner = runner;
    this.dir = dir;
    this.out = out;
  }

  Baseline baseline() throws Exception {
    BatchRun.Outcome outcome =
        runner.run(
            new BatchRun.Schedule("baseline", FaultPlan.none(), List.of(), COMMAND + " --baseline"),
            dir.resolve("baseline"));
    print("baseline: " + outcome.line());
    return baselineOf(outcome);
  }

  static Baseline baselineOf(BatchRun.Outcome outcome) {
    record Seen(RecordedRequest line, int ordinal) {}
    Map<String, Integer> perThread = new HashMap<>();
    List<Seen> seen = new ArrayList<>();
    Set<String> heartbeats =
        new TreeSet<>(
            Comparator.comparingInt(FaultSweep::stepRankOfName)
                .thenComparing(Comparator.naturalOrder()));
    for (RecordedRequest r : outcome.requests()) {
      if (RecordedRequest.PHASE.equals(r.event()) && RecordedRequest.NEXT_RUN.equals(r.request())) {
        break; // the batch ends here: the next scheduled run only finds nothing to do
      }
      if (!r.succeeded()) {
        continue;
      }
      if (!r.deterministic()) {
        heartbeats.add(heartbeatOfStep(r.request()));
        continue;
      }
      seen.add(new Seen(r, perThread.merge(r.pid() + "/" + r.thread(), 1, Integer::sum)));
    }
    seen.sort(
        Comparator.comparingInt((Seen s) -> stepRank(s.line().step()))
            .thenComparingInt(s -> s.line().chunk() == null ? -1 : s.line().chunk())
            .thenComparingInt(Seen::ordinal));
    List<Request> requests = new ArrayList<>();
    for (Seen s : seen) {
      requests.add(
          new Request(
              requests.size(),
              s.line().request(),
              String.valueOf(s.line().step()),
              s.line().chunk()));
    }
    return new Baseline(requests, List.copyOf(heartbeats), outcome);
  }

  /**
   * {@code sfn HEARTBEAT CompactChunk[2]} is faulted as the first heartbeat of any CompactChunk
   * task.
   */
  private static String heartbeatOfStep(String name) {
    int bracket = name.indexOf('[');
    return bracket < 0 ? name : name.substring(0, bracket);
  }

  private static int stepRank(String step) {
    for (WorkflowStep s : WorkflowStep.values()) {
      if (s.stateName().equals(step)) {
        return s.ordinal();
      }
    }
    return WorkflowStep.values().length;
  }

  private static int stepRankOfName(String name) {
    return stepRank(name.substring(name.lastIndexOf(' ') + 1));
  }

  // ---------------------------------------------------------------- schedules

  static List<BatchRun.Schedule> everyRequest(Baseline b) {
    return everyRequest(b, 0, Integer.MAX_VALUE);
  }

  /**
   * The requests with index {@code from} to {@code to} (inclusive) with each fault, then the
   * heartbeats if {@code to} reaches past the last request: a full sweep in parts, on machines
   * where one part is what fits.
   */
  static List<BatchRun.Schedule> everyRequest(Baseline b, int from, int to) {
    List<BatchRun.Schedule> out = new ArrayList<>();
    for (Request r : b.requests()) {
      if (r.index() < from || r.index() > to) {
        continue;
      }
      for (FaultKind.Family family : FAULTS) {
        out.add(single(r.name(), FaultKind.variant(family, r.index()), "r" + r.index()));
      }
    }
    if (to >= b.requests().size()) {
      int h = 0;
      for (WorkflowStep step : WorkflowStep.values()) {
        if (b.ofStep(step.stateName()).isEmpty()) {
          continue;
        }
        for (FaultKind.Family family : FAULTS) {
          out.add(atHeartbeat(b, step, FaultKind.variant(family, h), "hb" + h));
        }
        h++;
      }
    }
    return out;
  }

  /**
   * How long {@link #atHeartbeat} holds a task at its first request: above the workers' heartbeat
   * interval in the sweep (1 s, {@link BatchRun}), so that the task heartbeats at least once.
   */
  static final long HOLD_FOR_A_HEARTBEAT_MILLIS = 2_500;

  /**
   * A fault at the first heartbeat of {@code step}'s first task (chunk 0 for CompactChunk). A task
   * heartbeats only if it runs longer than the interval, which on an idle machine most do not, so
   * the task is held first: a {@link FaultKind#DELAY} at its first request.
   */
  static BatchRun.Schedule atHeartbeat(
      Baseline b, WorkflowStep step, FaultKind kind, String label) {
    Request first = b.ofStep(step.stateName()).get(0);
    return new BatchRun.Schedule(
        label + "-" + kind.name().toLowerCase(Locale.ROOT).replace('_', '-'),
        new FaultPlan(
            List.of(
                new FaultPlan.Injection(first.name(), FaultKind.DELAY, HOLD_FOR_A_HEARTBEAT_MILLIS),
                FaultPlan.Injection.of("sfn HEARTBEAT " + first.task(), kind))),
        List.of(),
        COMMAND + " --heartbeat " + step.stateName() + " --fault " + kind);
  }

  static BatchRun.Schedule single(String request, FaultKind kind, String label) {
    return repeated(request, kind, 1, label);
  }

  /**
   * The same fault at the same request {@code times} times: each fires at the next call of the
   * request, that is at the retry of the one before. Enough of them outlast the state machine's
   * retries and fail the execution.
   */
  static BatchRun.Schedule repeated(String request, FaultKind kind, int times, String label) {
    List<FaultPlan.Injection> injections = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      injections.add(FaultPlan.Injection.of(request, kind));
    }
    return new BatchRun.Schedule(
        label
            + "-"
            + kind.name().toLowerCase(Locale.ROOT).replace('_', '-')
            + (times > 1 ? "-x" + times : ""),
        new FaultPlan(injections),
        List.of(),
        COMMAND
            + " --request '"
            + request
            + "' --fault "
            + kind
            + (times > 1 ? " --times " + times : ""));
  }

  /**
   * The steps whose requests are swept: the workflow's, and the producer's push that runs beside
   * the batch.
   */
  static List<String> steps() {
    List<String> steps = new ArrayList<>();
    for (WorkflowStep s : WorkflowStep.values()) {
      steps.add(s.stateName());
    }
    steps.add(Producer.TASK);
    return steps;
  }

  /**
   * Three runs that put each fault at each step: in run {@code r}, step {@code s} gets fault {@code
   * (r + s) mod 3} at its first, middle or last request (the last is the task's SendTaskSuccess, or
   * the push's marker), and the busiest step's first heartbeat gets fault {@code r}.
   */
  static List<BatchRun.Schedule> sample(Baseline b) {
    List<BatchRun.Schedule> out = new ArrayList<>();
    List<String> steps = steps();
    for (int r = 0; r < FAULTS.size(); r++) {
      List<FaultPlan.Injection> injections = new ArrayList<>();
      for (int s = 0; s < steps.size(); s++) {
        List<Request> candidates = b.ofStep(steps.get(s));
        if (candidates.isEmpty()) {
          throw new IllegalStateException("the baseline has no request of " + steps.get(s));
        }
        Request request = candidates.get((int) Math.round(r * (candidates.size() - 1) / 2.0));
        FaultKind.Family family = FAULTS.get((r + s) % FAULTS.size());
        injections.add(FaultPlan.Injection.of(request.name(), FaultKind.variant(family, r + s)));
      }
      if (!b.heartbeats().isEmpty()) {
        String busiest = b.heartbeats().get(b.heartbeats().size() - 1);
        injections.add(FaultPlan.Injection.of(busiest, FaultKind.variant(FAULTS.get(r), r)));
      }
      out.add(
          new BatchRun.Schedule(
              "sample-" + r, new FaultPlan(injections), List.of(), COMMAND + " --sample " + r));
    }
    return out;
  }

  /**
   * The failures the sweep found, each kept as the schedule that found it (CI runs them with the
   * sample):
   *
   * <ul>
   *   <li>a lost answer to Publish's conditional write of {@code latest}: the client's retry failed
   *       its own precondition, and the execution failed with Publish.Conflict though it had
   *       published (full sweep r37, seed 1);
   *   <li>an execution aborted right after Plan claimed its batch: its claim held the batch for 25
   *       hours, and every later run found nothing to do (issue 17's stale claim). From the clean
   *       start: with the bad delta, Plan's quarantine changes the pending set, hence the batch id,
   *       and the next run never meets the old claim.
   * </ul>
   */
  static List<BatchRun.Schedule> regressions(Baseline b) {
    String publish = "s3 PUT latest if-match";
    String planned = "sfn SUCCESS Plan";
    for (String name : List.of(publish, planned)) {
      if (b.requests().stream().noneMatch(r -> r.name().equals(name))) {
        throw new IllegalStateException("the baseline has no " + name);
      }
    }
    return List.of(
        single(publish, FaultKind.LOSE_RESPONSE_RESET, "regression-publish"),
        new BatchRun.Schedule(
            "regression-aborted-claim",
            FaultPlan.none(),
            List.of(),
            COMMAND + " --abort-after '" + planned + "'",
            planned,
            StartState.Variant.CLEAN));
  }

  /**
   * Two to five faults of any kind at random requests (delays among them), and maybe an overlapping
   * execution.
   */
  static BatchRun.Schedule random(Baseline b, long seed) {
    // SplittableRandom mixes its seed: java.util.Random's first draws from small consecutive seeds
    // are alike.
    SplittableRandom random = new SplittableRandom(seed);
    List<String> names =
        new ArrayList<>(new LinkedHashSet<>(b.requests().stream().map(Request::name).toList()));
    names.addAll(b.heartbeats());
    FaultKind[] kinds = FaultKind.values();
    List<FaultPlan.Injection> injections = new ArrayList<>();
    int n = 2 + random.nextInt(4);
    for (int i = 0; i < n; i++) {
      String request = names.get(random.nextInt(names.size()));
      FaultKind kind = kinds[random.nextInt(kinds.length)];
      injections.add(
          new FaultPlan.Injection(
              request, kind, kind == FaultKind.DELAY ? 100 + random.nextInt(2900) : 0));
    }
    List<Duration> overlaps =
        random.nextBoolean() ? List.of(Duration.ofMillis(random.nextInt(15_000))) : List.of();
    return new BatchRun.Schedule(
        "seed-" + seed, new FaultPlan(injections), overlaps, COMMAND + " --seed " + seed);
  }

  // ---------------------------------------------------------------- running

  Summary run(List<BatchRun.Schedule> schedules) throws Exception {
    Instant began = Instant.now();
    List<BatchRun.Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < schedules.size(); i++) {
      BatchRun.Schedule s = schedules.get(i);
      print(
          String.format(
              Locale.ROOT,
              "[%d/%d] %s: %s%s",
              i + 1,
              schedules.size(),
              s.label(),
              s.plan().injections(),
              s.overlaps().isEmpty() ? "" : ", overlapping execution after " + s.overlaps()));
      BatchRun.Outcome o = runner.run(s, dir.resolve(s.label()));
      outcomes.add(o);
      print("      " + o.line());
    }
    Set<String> swept = new TreeSet<>();
    int[] planned = new int[2];
    int[] injected = new int[2];
    List<String> failures = new ArrayList<>();
    for (BatchRun.Outcome o : outcomes) {
      o.schedule().plan().injections().forEach(i -> planned[isHeartbeat(i.request()) ? 1 : 0]++);
      o.fired().forEach(f -> injected[isHeartbeat(f.request()) ? 1 : 0]++);
      o.fired().forEach(f -> swept.add(f.request()));
      if (!o.valid()) {
        failures.add(
            o.schedule().label()
                + ": "
                + o.report().violations()
                + "\n    replay: "
                + o.schedule().replay());
      }
    }
    Summary summary =
        new Summary(
            outcomes.size(),
            swept.size(),
            planned[0],
            injected[0],
            planned[1],
            injected[1],
            (int) outcomes.stream().filter(BatchRun.Outcome::executionSucceeded).count(),
            (int) outcomes.stream().filter(BatchRun.Outcome::valid).count(),
            (int) outcomes.stream().filter(o -> !o.valid()).count(),
            Duration.between(began, Instant.now()),
            failures);
    print("summary: " + summary.text());
    return summary;
  }

  private static boolean isHeartbeat(String request) {
    return request.startsWith("sfn HEARTBEAT");
  }

  void print(String line) throws IOException {
    out.println(line);
    out.flush();
    Files.writeString(
        dir.resolve("progress.log"),
        line + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }
}
