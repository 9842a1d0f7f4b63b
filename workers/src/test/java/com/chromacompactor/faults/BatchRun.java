package com.chromacompactor.faults;

import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/**
 * One run of the batch under test, from the start state, with a schedule of faults:
 *
 * <ol>
 *   <li>a fresh bucket holding the {@link StartState}, a fresh state machine ({@link
 *       SweepWorkflow}) and a fleet of worker processes ({@link WorkerFleet}) with the schedule's
 *       {@link FaultPlan};
 *   <li>the execution, and any overlapping ones the schedule starts, run to their end while the
 *       fleet replaces killed workers;
 *   <li>the next scheduled run, an execution started after they ended, as EventBridge would;
 *   <li>the {@link FaultValidator} in a fresh process judges the bucket.
 * </ol>
 */
final class BatchRun {
  /** Plan's report of success: the batch is listed, and the producer may push. */
  private static final String PLAN_DONE = "sfn SUCCESS Plan";

  /**
   * How runs are made.
   *
   * @param heartbeatSeconds HeartbeatSeconds of every task: a killed worker's task is retried after
   *     it
   * @param executionDeadline how long the execution (and its overlaps) may take before it counts as
   *     stuck
   * @param recoveryDeadline how long the next scheduled run may take: "within minutes"
   */
  record Settings(
      int workers, int heartbeatSeconds, Duration executionDeadline, Duration recoveryDeadline) {
    static Settings standard() {
      return new Settings(2, 6, Duration.ofMinutes(5), Duration.ofMinutes(3));
    }
  }

  /**
   * What one run does.
   *
   * @param overlaps when, after the first execution started, another execution of the same batch
   *     starts
   * @param replay the command that runs this schedule again
   * @param abortAfter a request after which the first execution is aborted (StopExecution, as an
   *     operator or a deployment does), or null: its claim must not outlive it
   * @param variant the start this schedule needs, or null for the sweep's
   */
  record Schedule(
      String label,
      FaultPlan plan,
      List<Duration> overlaps,
      String replay,
      String abortAfter,
      StartState.Variant variant) {
    Schedule {
      overlaps = List.copyOf(overlaps);
    }

    Schedule(String label, FaultPlan plan, List<Duration> overlaps, String replay) {
      this(label, plan, overlaps, replay, null, null);
    }

    /** With its start settled: its own, else the sweep's; the replay command names it. */
    Schedule from(StartState.Variant sweeps) {
      StartState.Variant start = variant != null ? variant : sweeps;
      return new Schedule(
          label,
          plan,
          overlaps,
          replay + (start == StartState.Variant.CLEAN ? " --clean" : " --with-bad-delta"),
          abortAfter,
          start);
    }
  }

  /** What came of a run. */
  record Outcome(
      Schedule schedule,
      List<SweepWorkflow.Execution> executions,
      SweepWorkflow.Execution next,
      List<RecordedRequest> requests,
      List<String> workerExits,
      FaultValidator.Report report,
      Duration took,
      String timings,
      Path dir) {
    List<RecordedRequest> fired() {
      return requests.stream().filter(RecordedRequest::isFault).toList();
    }

    /**
     * The first execution, the one the faults were aimed at, succeeded by itself (with its
     * retries).
     */
    boolean executionSucceeded() {
      return executions.get(0).status() == ExecutionStatus.SUCCEEDED;
    }

    boolean valid() {
      return report.ok();
    }

    String line() {
      return String.format(
          Locale.ROOT,
          "%-4s %-28s fired %d/%d  %s  next: %s  workers replaced %d  %.0f s (%s)%s",
          valid() ? "ok" : "FAIL",
          schedule.label(),
          fired().size(),
          schedule.plan().injections().size(),
          executions.stream()
              .map(
                  e ->
                      e.name().substring(e.name().lastIndexOf('-') + 1)
                          + " "
                          + e.status()
                          + (e.error() == null ? "" : " " + e.error()))
              .toList(),
          next == null
              ? "-"
              : next.status()
                  + (next.published() != null
                      ? " published"
                      : next.nothingToDo() ? " nothing to do" : ""),
          workerExits.size(),
          took.toMillis() / 1000.0,
          timings,
          valid()
              ? ""
              : "\n       "
                  + String.join(
                      "\n       ", report.violations().stream().map(Object::toString).toList())
                  + "\n       replay: "
                  + schedule.replay()
                  + "\n       logs: "
                  + dir);
    }
  }

  private final SfnClient sfn;
  private final S3Client s3;
  private final StartState start;
  private final Settings settings;
  private final Path modelCache;

  BatchRun(SfnClient sfn, S3Client s3, StartState start, Settings settings, Path modelCache) {
    this.sfn = sfn;
    this.s3 = s3;
    this.start = start;
    this.settings = settings;
    this.modelCache = modelCache;
  }

  Outcome run(Schedule scheduled, Path dir) throws Exception {
    Schedule schedule = scheduled.from(this.start.variant);
    StartState start = StartState.get(schedule.variant());
    Instant began = Instant.now();
    Files.createDirectories(dir);
    schedule.plan().write(dir);
    String tag = UUID.randomUUID().toString().substring(0, 8);
    String bucket = "fault-sweep-" + tag;
    s3.createBucket(b -> b.bucket(bucket));
    Map<String, Instant> phases = new LinkedHashMap<>();
    phases.put("setup", began);
    List<SweepWorkflow.Execution> executions = new ArrayList<>();
    SweepWorkflow.Execution next = null;
    List<FaultValidator.Violation> stuck = new ArrayList<>();
    List<String> exits;
    try (SweepWorkflow workflow =
        SweepWorkflow.create(sfn, bucket, tag, settings.heartbeatSeconds())) {
      try (WorkerFleet fleet =
              new WorkerFleet(dir, workerEnvironment(bucket, workflow), settings.workers());
          Producer producer = new Producer(dir, bucket, start.pushed)) {
        fleet.start(); // the JVMs start while the bucket fills
        start.uploadTo(s3, bucket);
        phases.put("execution", Instant.now());
        List<String> arns = new ArrayList<>(List.of(workflow.start("run")));
        List<Duration> overlaps = new ArrayList<>(schedule.overlaps());
        overlaps.sort(null);
        Instant first = Instant.now();
        int overlap = 0;
        boolean aborted = schedule.abortAfter() == null;
        boolean pushing = false;
        boolean pushed = false;
        while (true) {
          fleet.supervise();
          // The producer pushes once Plan has listed the batch, so that the batch stays the same
          // from run to run;
          // the next scheduled run takes the pushed delta.
          if (!pushing
              && (!workflow.describe(arns.get(0)).running()
                  || RequestLog.read(dir).stream().anyMatch(r -> PLAN_DONE.equals(r.request())))) {
            producer.start();
            pushing = true;
          }
          pushed = pushing && producer.supervise();
          if (!aborted
              && RequestLog.read(dir).stream()
                  .anyMatch(r -> r.succeeded() && schedule.abortAfter().equals(r.request()))) {
            workflow.stop(
                arns.get(0), "aborted after " + schedule.abortAfter() + " by the fault sweep");
            aborted = true;
          }
          while (!overlaps.isEmpty() && Instant.now().isAfter(first.plus(overlaps.get(0)))) {
            overlaps.remove(0);
            arns.add(workflow.start("overlap-" + (++overlap)));
          }
          List<SweepWorkflow.Execution> now = arns.stream().map(workflow::describe).toList();
          if (overlaps.isEmpty()
              && now.stream().noneMatch(SweepWorkflow.Execution::running)
              && pushed) {
            executions.addAll(now);
            break;
          }
          if (Instant.now().isAfter(first.plus(settings.executionDeadline()))) {
            for (SweepWorkflow.Execution e : now) {
              if (e.running()) {
                stuck.add(
                    new FaultValidator.Violation(
                        "STUCK",
                        "execution "
                            + e.name()
                            + " still RUNNING after "
                            + settings.executionDeadline().toSeconds()
                            + " s: "
                            + workflow.history(e.arn())));
                workflow.stop(e.arn(), "stuck in the fault sweep");
              }
            }
            arns.stream().map(workflow::describe).forEach(executions::add);
            break;
          }
          Thread.sleep(300);
        }
        // The next scheduled run, as EventBridge starts it: it must finish what the faulted one
        // left.
        RequestLog.append(dir, RecordedRequest.phase(RecordedRequest.NEXT_RUN));
        phases.put("next run", Instant.now());
        String nextArn = workflow.start("next");
        Instant nextStarted = Instant.now();
        while (true) {
          fleet.supervise();
          next = workflow.describe(nextArn);
          if (!next.running()) {
            break;
          }
          if (Instant.now().isAfter(nextStarted.plus(settings.recoveryDeadline()))) {
            stuck.add(
                new FaultValidator.Violation(
                    "STUCK",
                    "the next scheduled run still RUNNING after "
                        + settings.recoveryDeadline().toSeconds()
                        + " s: "
                        + workflow.history(nextArn)));
            workflow.stop(nextArn, "stuck in the fault sweep");
            next = workflow.describe(nextArn);
            break;
          }
          Thread.sleep(300);
        }
        exits = new ArrayList<>(fleet.exits());
        exits.addAll(producer.exits());
        phases.put("stop", Instant.now());
      }
      List<String> histories = new ArrayList<>();
      for (SweepWorkflow.Execution e : executions) {
        histories.add(e.describe() + "\n  " + String.join(", ", workflow.history(e.arn())));
      }
      histories.add(next.describe() + "\n  " + String.join(", ", workflow.history(next.arn())));
      Files.write(dir.resolve("executions.txt"), histories);
    }
    List<SweepWorkflow.Execution> succeeded = new ArrayList<>();
    executions.stream()
        .filter(e -> e.status() == ExecutionStatus.SUCCEEDED)
        .forEach(succeeded::add);
    if (next.status() == ExecutionStatus.SUCCEEDED) {
      succeeded.add(next);
    }
    phases.put("validate", Instant.now());
    List<SweepWorkflow.Execution> failed = new ArrayList<>();
    executions.stream().filter(e -> e.status() != ExecutionStatus.SUCCEEDED).forEach(failed::add);
    if (next.status() != ExecutionStatus.SUCCEEDED) {
      failed.add(next);
    }
    // The deltas: the start's and the pushed one. A snapshot the garbage collection may have
    // deleted once superseded:
    // the start's base, and a snapshot of the batch once the next run published the pushed delta
    // over it.
    List<StartState.Delta> deltas = new ArrayList<>(start.deltas);
    deltas.add(start.pushed.delta());
    Map<String, List<String>> collectable = new HashMap<>(start.collectableBase);
    executions.stream()
        .filter(e -> e.published() != null)
        .forEach(e -> collectable.put(e.published(), start.throughBatch()));
    FaultValidator.Report report =
        FaultValidator.validate(
            dir,
            Map.of("s3", bucket, "endpoint", AwsSettings.localStack().endpoint().toString()),
            deltas,
            collectable,
            new FaultValidator.Expectations(succeeded, failed, List.of(), true),
            modelCache);
    if (!stuck.isEmpty()) {
      List<FaultValidator.Violation> all = new ArrayList<>(stuck);
      all.addAll(report.violations());
      report = new FaultValidator.Report(all, report.facts());
    }
    if (report.ok()) {
      deleteBucket(bucket); // a failed run's bucket stays for a look; LocalStack holds it in memory
    }
    phases.put("end", Instant.now());
    return new Outcome(
        schedule,
        executions,
        next,
        RequestLog.read(dir),
        exits,
        report,
        Duration.between(began, Instant.now()),
        timings(phases),
        dir);
  }

  /** How long each phase took: {@code setup 4.1 s, execution 12.9 s, ...}. */
  private static String timings(Map<String, Instant> phases) {
    List<String> out = new ArrayList<>();
    List<Map.Entry<String, Instant>> list = new ArrayList<>(phases.entrySet());
    for (int i = 0; i + 1 < list.size(); i++) {
      out.add(
          String.format(
              Locale.ROOT,
              "%s %.1f s",
              list.get(i).getKey(),
              Duration.between(list.get(i).getValue(), list.get(i + 1).getValue()).toMillis()
                  / 1000.0));
    }
    return String.join(", ", out);
  }

  private Map<String, String> workerEnvironment(String bucket, SweepWorkflow workflow) {
    Map<String, String> env = new HashMap<>();
    env.put(WorkerEnvironment.BUCKET, bucket);
    env.put(AwsSettings.ENDPOINT_VARIABLE, AwsSettings.localStack().endpoint().toString());
    env.put("AWS_REGION", "us-east-1");
    for (WorkflowStep step : WorkflowStep.values()) {
      env.put(step.arnVariable(), workflow.activities.get(step));
    }
    env.put(WorkerEnvironment.HEARTBEAT_INTERVAL_SECONDS, "1");
    env.put(WorkerEnvironment.CONCURRENCY, "2");
    env.put(WorkerEnvironment.STOP_TIMEOUT_SECONDS, "5");
    env.put(WorkerEnvironment.CHUNK_SIZES, StartState.CHUNK_SIZES.formatMapping());
    env.put(
        WorkerEnvironment.CHUNK_SIZE_DEFAULT,
        Integer.toString(StartState.CHUNK_SIZES.defaultSize()));
    // The garbage collection at the batch's end deletes at once what it may: the superseded base
    // snapshot, the
    // consumed deltas with their markers, finished plans. So its deletes are in the baseline, and
    // swept.
    env.put(WorkerEnvironment.GC_KEEP_SNAPSHOTS, "1");
    env.put(WorkerEnvironment.GC_MIN_SNAPSHOT_AGE, "0s");
    env.put(WorkerEnvironment.GC_DELTA_RETENTION, "0s");
    return env;
  }

  private void deleteBucket(String bucket) {
    List<ObjectIdentifier> keys = new ArrayList<>();
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
      keys.add(ObjectIdentifier.builder().key(o.key()).build());
    }
    for (int i = 0; i < keys.size(); i += 1000) {
      List<ObjectIdentifier> part = keys.subList(i, Math.min(keys.size(), i + 1000));
      s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(part).quiet(true)));
    }
    s3.deleteBucket(b -> b.bucket(bucket));
  }
}
