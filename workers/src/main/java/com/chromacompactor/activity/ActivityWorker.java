package com.chromacompactor.activity;

import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.aws.Resilience;
import com.chromacompactor.metrics.CloudWatchMetrics;
import com.chromacompactor.metrics.HeapGauge;
import com.chromacompactor.metrics.MemoryGauge;
import com.chromacompactor.metrics.MemorySampler;
import com.chromacompactor.metrics.MetricDimensions;
import com.chromacompactor.metrics.MetricSink;
import com.chromacompactor.metrics.TaskMetrics;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.TaskError;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.GetActivityTaskResponse;

/**
 * The ECS task's process: polls every configured activity and runs each task it receives on its own
 * thread, up to {@link WorkerConfig#concurrency()} at once.
 *
 * <pre>
 *   start() ──► RUNNING: one poller thread per activity ARN; each takes a slot, then long-polls
 *                │        task ──► task thread: handler, heartbeats beside it, SendTaskSuccess / SendTaskFailure
 *                │        empty ──► slot back, poll again
 *   stop(d) ──► STOPPING: no new polls; in-flight tasks keep heartbeating and may finish; a poll still in
 *                │        progress may bring one more task, which is failed at once as Worker.Interrupted
 *                │        at the deadline: running tasks are cancelled and failed as Worker.Interrupted
 *                │        (retried), and polls still in progress are cut
 *                ▼
 *              STOPPED
 * </pre>
 *
 * <p>SIGTERM (ECS stopping the task) runs {@link #stop(Duration)} with {@link
 * WorkerConfig#shutdownDeadline()} from a JVM shutdown hook, see {@link #installShutdownHook()}.
 * Out of memory, the process exits at once (see {@link #EXIT_OUT_OF_MEMORY}) and Step Functions
 * retries its tasks when their heartbeats stop. Every Step Functions call goes through one {@link
 * Resilience} for the service; long polls use their own client, which stop() closes at the
 * deadline.
 */
public final class ActivityWorker implements AutoCloseable {
  /**
   * After the deadline's failures are sent, how long interrupted task threads get to end and clean
   * up.
   */
  static final Duration TASK_EXIT_GRACE = Duration.ofSeconds(2);

  static final Duration METRICS_FLUSH_INTERVAL = Duration.ofSeconds(10);

  /**
   * The exit status of a worker that ran out of memory, as the JVM's {@code
   * -XX:+ExitOnOutOfMemoryError} gives.
   */
  public static final int EXIT_OUT_OF_MEMORY = 3;

  private static final Logger log = LoggerFactory.getLogger(ActivityWorker.class);

  private enum State {
    NEW,
    RUNNING,
    STOPPING,
    STOPPED
  }

  private final WorkerConfig config;
  private final Map<WorkflowStep, ActivityHandler> handlers;
  private final SfnClient pollClient;
  private final SfnClient callClient;
  private final Resilience sfn = Resilience.standard("states");
  private final TaskReporter reporter;
  private final Heartbeats heartbeats;
  private final WorkerSlots slots;
  private final MetricSink metrics;
  private final Path workRoot;
  private final List<ActivityPoller> pollers = new ArrayList<>();
  private final Set<RunningTask> running = ConcurrentHashMap.newKeySet();
  private final WorkerCounters counters = new WorkerCounters();
  private final AtomicLong sequence = new AtomicLong();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Object taskEnded = new Object();
  private MemorySampler memorySampler;
  private State state = State.NEW;

  /** Publishes metrics to CloudWatch in {@link WorkerConfig#metricsNamespace()}. */
  public ActivityWorker(
      WorkerConfig config, Map<WorkflowStep, ActivityHandler> handlers, AwsClients clients) {
    this(
        config,
        handlers,
        clients,
        new CloudWatchMetrics(
            clients.cloudWatch(),
            Resilience.standard("monitoring"),
            config.metricsNamespace(),
            METRICS_FLUSH_INTERVAL));
  }

  /**
   * @param handlers one per step of {@link WorkerConfig#activityArns()}; more are ignored
   * @param metrics where task and memory figures go; closed by {@link #stop}
   */
  public ActivityWorker(
      WorkerConfig config,
      Map<WorkflowStep, ActivityHandler> handlers,
      AwsClients clients,
      MetricSink metrics) {
    this.config = config;
    EnumMap<WorkflowStep, ActivityHandler> used = new EnumMap<>(WorkflowStep.class);
    for (WorkflowStep step : config.activityArns().keySet()) {
      ActivityHandler h = handlers.get(step);
      if (h == null) {
        throw new IllegalArgumentException(
            "no handler for "
                + step
                + ", whose activity "
                + config.activityArns().get(step)
                + " is configured");
      }
      used.put(step, h);
    }
    this.handlers = used;
    this.pollClient = clients.stepFunctions();
    this.callClient = clients.stepFunctions();
    this.reporter = new TaskReporter(callClient, sfn);
    this.heartbeats =
        new Heartbeats(
            callClient, sfn, config.heartbeatInterval(), Math.min(config.concurrency(), 4));
    this.slots = new WorkerSlots(config.concurrency());
    this.metrics = metrics;
    this.workRoot =
        Path.of(
            System.getProperty("java.io.tmpdir"),
            "compactor-tasks-" + ProcessHandle.current().pid());
  }

  /**
   * The worker process's whole life, for the CLI's {@code worker} command: reads {@link
   * WorkerConfig} and {@link AwsSettings} from {@code env}, starts, installs the SIGTERM hook and
   * blocks until stopped.
   *
   * @return the process exit code: 0 after a graceful stop
   */
  public static int run(Map<String, String> env, Map<WorkflowStep, ActivityHandler> handlers) {
    WorkerConfig config = WorkerConfig.fromEnvironment(env);
    ActivityWorker worker =
        new ActivityWorker(config, handlers, new AwsClients(AwsSettings.fromEnvironment(env)));
    worker.installShutdownHook();
    worker.start();
    worker.awaitStopped();
    return 0;
  }

  public synchronized ActivityWorker start() {
    if (state != State.NEW) {
      throw new IllegalStateException(
          "worker " + config.workerName() + " already started (" + state + ")");
    }
    state = State.RUNNING;
    memorySampler =
        new MemorySampler(
            MemoryGauge.system(), metrics, this::runningDimensions, config.memorySampleInterval());
    ActivityPoller.Listener listener = new PollListener();
    config
        .activityArns()
        .forEach(
            (step, arn) ->
                pollers.add(
                    new ActivityPoller(
                        new ActivityPoller.Target(
                            step,
                            arn,
                            WorkerIdentity.pollerName(config.workerName(), step.stateName())),
                        this::getActivityTask,
                        slots,
                        listener)));
    log.info(
        "worker {} starting: {} activities, concurrency {}, heartbeat every {} s, stop deadline {} s",
        config.workerName(),
        pollers.size(),
        config.concurrency(),
        config.heartbeatInterval().toSeconds(),
        config.shutdownDeadline().toSeconds());
    pollers.forEach(ActivityPoller::start);
    return this;
  }

  /** Stops on SIGTERM within {@link WorkerConfig#shutdownDeadline()}. */
  public void installShutdownHook() {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> stop(config.shutdownDeadline()), "worker-shutdown"));
  }

  /**
   * Starts no new poll, lets in-flight tasks finish (heartbeating) until {@code budget} has passed,
   * then cancels what still runs and fails it as {@code Worker.Interrupted}, which the state
   * machine retries. A poll in progress is left to return until then (a task it brings is handed
   * back at once), and cut at the deadline. One budget covers the whole stop; it returns as soon as
   * no task runs and no poll is open. A second call waits for the first.
   */
  public void stop(Duration budget) {
    State was;
    synchronized (this) {
      was = state;
      if (was == State.RUNNING) {
        state = State.STOPPING;
      } else if (was == State.NEW) {
        state = State.STOPPED;
      }
    }
    if (was == State.NEW) {
      closeResources();
      stopped.countDown();
      return;
    }
    if (was != State.RUNNING) {
      awaitStopped(budget);
      return;
    }
    Instant deadline = Instant.now().plus(budget);
    log.info(
        "worker {} stopping: no new polls; {} tasks in flight, deadline in {} s",
        config.workerName(),
        running.size(),
        budget.toSeconds());
    pollers.forEach(ActivityPoller::stop);
    joinPollers(deadline); // a poll in progress may still bring a task: it is handed back at once
    awaitTasks(deadline);
    for (RunningTask task : running) {
      if (task.claimOutcome()) {
        task.cancel(RunningTask.Cancellation.STOPPING, "the worker is stopping");
        counters.interrupted.increment();
        counters.failed.increment();
        reporter.fail(
            task,
            new TaskError(
                ErrorNames.WORKER_INTERRUPTED,
                "worker "
                    + config.workerName()
                    + " stopped (SIGTERM or shutdown) before "
                    + task.step().stateName()
                    + " finished; it ran "
                    + task.age().toSeconds()
                    + " s, stop deadline "
                    + budget.toSeconds()
                    + " s; last progress: "
                    + task.status()));
      }
    }
    pollClient.close(); // past the deadline: cut what is still polling
    joinPollers(Instant.now().plus(TASK_EXIT_GRACE));
    awaitTasks(Instant.now().plus(TASK_EXIT_GRACE));
    if (!running.isEmpty()) {
      log.warn(
          "worker {}: {} task threads did not end after being interrupted: {}",
          config.workerName(),
          running.size(),
          running);
    }
    synchronized (this) {
      state = State.STOPPED;
    }
    closeResources();
    log.info("worker {} stopped: {}", config.workerName(), counters);
    stopped.countDown();
  }

  /** Stops within {@link WorkerConfig#shutdownDeadline()}. */
  @Override
  public void close() {
    stop(config.shutdownDeadline());
  }

  /** Blocks until {@link #stop} has finished. */
  public void awaitStopped() {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public boolean awaitStopped(Duration timeout) {
    try {
      return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public WorkerConfig config() {
    return config;
  }

  public WorkerCounters counters() {
    return counters;
  }

  public int tasksInFlight() {
    return running.size();
  }

  /** Slots neither held by a poll in progress nor by a task. */
  /** GetActivityTask calls open right now. */
  public int pollsOpen() {
    return (int) pollers.stream().filter(ActivityPoller::isPolling).count();
  }

  public int freeSlots() {
    return slots.available();
  }

  /**
   * What SIGKILL leaves behind, for tests: polling and heartbeats stop, running tasks are
   * interrupted, and nothing more is sent to Step Functions, which finds out through the heartbeat
   * timeout.
   */
  void abandon() {
    synchronized (this) {
      state = State.STOPPED;
    }
    pollers.forEach(ActivityPoller::stop);
    pollClient.close();
    heartbeats.close();
    for (RunningTask task : running) {
      task.claimOutcome();
      task.cancel(RunningTask.Cancellation.ABANDONED, "the worker was abandoned");
    }
    if (memorySampler != null) {
      memorySampler.close();
    }
    stopped.countDown();
  }

  /**
   * Runs a task; {@code reserved}: its slot was taken when it arrived, else it waits here
   * (heartbeating).
   */
  private void execute(RunningTask task, ActivityHandler handler, boolean reserved) {
    boolean slot = reserved;
    HeapGauge.Window heap =
        HeapGauge.openWindow(); // the task's own peak, in its summary and the log
    try {
      if (!slot) {
        slots.acquire(); // another poller's task took the last slot first; heartbeats already run
        slot = true;
      }
      task.openWorkDir(workRoot);
      String output = handler.handle(task.input(), task);
      if (task.claimOutcome()) {
        if (reporter.succeed(task, output == null ? "{}" : output)) {
          counters.succeeded.increment();
        }
      } else {
        log.info(
            "{}: finished, but its outcome was already decided ({}); output dropped",
            task.label(),
            task.cancellation());
      }
    } catch (OutOfMemoryError e) {
      exitOutOfMemory(task, e);
    } catch (Exception | StackOverflowError e) {
      // Translated into a named error for the state machine; the worker itself goes on polling.
      reportUnlessDecided(task, e);
    } catch (Error e) {
      reportUnlessDecided(task, e);
      throw e;
    } finally {
      heap.close();
      log.info("{}: peak heap {} MB", task.label(), heap.peakMb());
      heartbeats.stop(task);
      if (task.cancellation() == RunningTask.Cancellation.TAKEN_AWAY) {
        counters.cancelled.increment();
      }
      task.deleteWorkDir();
      running.remove(task);
      if (slot) {
        slots.release();
      }
      synchronized (taskEnded) {
        taskEnded.notifyAll();
      }
    }
  }

  private void reportUnlessDecided(RunningTask task, Throwable t) {
    if (!task.claimOutcome()) {
      log.info(
          "{}: ended with {} after it was cancelled ({})",
          task.label(),
          t.toString(),
          task.cancellation());
      return;
    }
    TaskError error =
        t instanceof TaskCancelledException
            // The handler gave up on its own, not because we cancelled: let the state machine
            // retry.
            ? new TaskError(ErrorNames.WORKER_INTERRUPTED, ErrorClassifier.describe(t, true))
            : ErrorClassifier.classify(t);
    if (ErrorNames.UNEXPECTED.equals(error.error())) {
      log.error("{}: unexpected failure", task.label(), LoggedFailure.of(t));
    }
    counters.failed.increment();
    reporter.fail(task, error);
  }

  private void launch(WorkflowStep step, ActivityPoller.ReceivedTask received) {
    RunningTask task =
        new RunningTask(
            step,
            received.token(),
            received.input(),
            step.stateName() + "#" + sequence.incrementAndGet(),
            new TaskMetrics(metrics));
    counters.started.increment();
    if (isStopping()) {
      handBack(task);
      return;
    }
    // Taken here, on the poller's thread, so that its next poll already sees the slot gone.
    boolean reserved = slots.tryAcquire();
    running.add(task);
    heartbeats.start(task);
    Thread thread =
        new Thread(() -> execute(task, handlers.get(step), reserved), "task-" + task.label());
    task.attach(thread);
    log.info("{}: received ({} in flight)", task.label(), running.size());
    try {
      thread.start();
    } catch (OutOfMemoryError e) {
      exitOutOfMemory(task, e); // no native thread left to run it on
    }
  }

  /**
   * Out of memory: the process ends at once with {@link #EXIT_OUT_OF_MEMORY}. In the worker image
   * the JVM does this itself before any of this code runs ({@code -XX:+ExitOnOutOfMemoryError} in
   * workers/Dockerfile); this is the same for a JVM started without that option, or an error thrown
   * by code rather than by the JVM. An OutOfMemoryError can strike any thread (heartbeats, pollers,
   * the SDK's), so a process that saw one is not trusted to poll on. Nothing more is sent: Step
   * Functions sees the heartbeats of the tasks in flight stop and retries them ({@code
   * States.HeartbeatTimeout}), and ECS starts a new worker in place of this one.
   */
  private static void exitOutOfMemory(RunningTask task, OutOfMemoryError e) {
    try {
      log.error(
          "{}: out of memory ({}); the worker exits with status {}",
          task.label(),
          e.getMessage(),
          EXIT_OUT_OF_MEMORY);
    } finally {
      Runtime.getRuntime().halt(EXIT_OUT_OF_MEMORY);
    }
  }

  /** A poll that was in progress when stop() began brought a task: fail it as retryable at once. */
  private void handBack(RunningTask task) {
    task.claimOutcome();
    counters.interrupted.increment();
    counters.failed.increment();
    reporter.fail(
        task,
        new TaskError(
            ErrorNames.WORKER_INTERRUPTED,
            "worker "
                + config.workerName()
                + " was stopping when "
                + task.step().stateName()
                + " arrived; handed back for a retry"));
  }

  private synchronized boolean isStopping() {
    return state != State.RUNNING;
  }

  private ActivityPoller.ReceivedTask getActivityTask(ActivityPoller.Target target) {
    GetActivityTaskResponse r =
        sfn.call(
            "GetActivityTask " + target.step().stateName(),
            () ->
                pollClient.getActivityTask(
                    b -> b.activityArn(target.activityArn()).workerName(target.workerName())));
    return r.taskToken() == null || r.taskToken().isEmpty()
        ? null
        : new ActivityPoller.ReceivedTask(r.taskToken(), r.input());
  }

  private List<MetricDimensions> runningDimensions() {
    List<MetricDimensions> dims = new ArrayList<>();
    for (RunningTask t : running) {
      MetricDimensions d = t.metrics().dimensions();
      if (!d.isNone()) {
        dims.add(d);
      }
    }
    return dims;
  }

  private void joinPollers(Instant deadline) {
    try {
      for (ActivityPoller p : pollers) {
        p.join(Duration.between(Instant.now(), deadline));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void awaitTasks(Instant deadline) {
    synchronized (taskEnded) {
      while (!running.isEmpty()) {
        long left = Duration.between(Instant.now(), deadline).toMillis();
        if (left <= 0) {
          return;
        }
        try {
          taskEnded.wait(Math.min(left, 200));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void closeResources() {
    heartbeats.close();
    if (memorySampler != null) {
      memorySampler.close();
    }
    metrics.close();
    pollClient.close();
    callClient.close();
    try {
      Files.deleteIfExists(
          workRoot); // each task deleted its own folder; a leftover means a stuck task
    } catch (IOException e) {
      log.warn(
          "worker {}: task folders left in {}: {}", config.workerName(), workRoot, e.toString());
    }
  }

  /** The pollers' view of this worker. */
  private final class PollListener implements ActivityPoller.Listener {
    @Override
    public void taskReceived(WorkflowStep step, ActivityPoller.ReceivedTask task) {
      launch(step, task);
    }

    @Override
    public void pollCompleted(WorkflowStep step, boolean empty) {
      counters.polls.increment();
      if (empty) {
        counters.emptyPolls.increment();
        log.debug("{}: no task", step.stateName());
      }
    }

    @Override
    public void pollFailed(WorkflowStep step, RuntimeException e) {
      counters.pollErrors.increment();
      log.warn(
          "{}: GetActivityTask failed, polling again after a pause: {}",
          step.stateName(),
          e.toString());
    }
  }
}
