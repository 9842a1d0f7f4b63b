package com.chromacompactor.activity;

import com.chromacompactor.files.FileTrees;
import com.chromacompactor.metrics.TaskMetrics;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One activity task on this worker: what its handler sees ({@link TaskContext}), and the state the
 * runtime shares between the task's thread, its heartbeat and {@link ActivityWorker#stop}.
 *
 * <p>Exactly one party decides how the task ends, by winning {@link #claimOutcome()}: the task's
 * thread (success or failure), the heartbeat (the task was taken away: nothing is reported), or the
 * stopping worker ({@code Worker.Interrupted}). The others then report nothing.
 */
final class RunningTask implements TaskContext {
  private static final Logger log = LoggerFactory.getLogger(RunningTask.class);

  private final WorkflowStep step;
  private final String token;
  private final String input;
  private final String label;
  private final TaskMetrics metrics;
  private final Instant started = Instant.now();
  private final AtomicBoolean outcomeClaimed = new AtomicBoolean();
  private volatile Thread thread;
  private volatile Path workDir;
  private volatile String status = "started";
  private volatile String cancelReason;
  private volatile Cancellation cancellation;

  /** Why a task was cancelled. */
  enum Cancellation {
    /** Step Functions refused a heartbeat: the task timed out or its execution ended. */
    TAKEN_AWAY,
    /**
     * The worker was stopping and the deadline passed; the task was failed as {@code
     * Worker.Interrupted}.
     */
    STOPPING,
    /** The worker was abandoned (as by SIGKILL): nothing more is sent. */
    ABANDONED
  }

  RunningTask(WorkflowStep step, String token, String input, String label, TaskMetrics metrics) {
    this.step = step;
    this.token = token;
    this.input = input;
    this.label = label;
    this.metrics = metrics;
  }

  WorkflowStep step() {
    return step;
  }

  String token() {
    return token;
  }

  String input() {
    return input;
  }

  /** For logs: step and a sequence number; the token is too long to print. */
  String label() {
    return label;
  }

  String status() {
    return status;
  }

  Duration age() {
    return Duration.between(started, Instant.now());
  }

  void attach(Thread worker) {
    this.thread = worker;
  }

  /** Creates the task's private folder under {@code root}. */
  void openWorkDir(Path root) throws IOException {
    Files.createDirectories(root);
    workDir = Files.createTempDirectory(root, step.stateName() + "-");
  }

  /** Whoever calls this first decides how the task ends; everyone else must report nothing. */
  boolean claimOutcome() {
    return outcomeClaimed.compareAndSet(false, true);
  }

  /** From now on {@link #checkCancelled()} throws; the task's thread is interrupted. */
  void cancel(Cancellation why, String reason) {
    if (cancelReason == null) {
      cancellation = why;
      cancelReason = reason;
    }
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  boolean isCancelled() {
    return cancelReason != null;
  }

  /** Null while the task is not cancelled. */
  Cancellation cancellation() {
    return cancellation;
  }

  @Override
  public Path workDir() {
    if (workDir == null) {
      throw new IllegalStateException(label + ": no work folder (the task has not started)");
    }
    return workDir;
  }

  @Override
  public void progress(String message) {
    status = message;
    log.info("{}: {}", label, message);
  }

  @Override
  public void checkCancelled() throws TaskCancelledException {
    String reason = cancelReason;
    if (reason != null) {
      throw new TaskCancelledException(label + ": " + reason);
    }
  }

  @Override
  public TaskMetrics metrics() {
    return metrics;
  }

  /** Deletes the work folder. A failure is logged: the task's outcome is already decided. */
  void deleteWorkDir() {
    Path dir = workDir;
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      log.warn("{}: could not delete the work folder {}: {}", label, dir, e.toString());
    }
  }

  @Override
  public String toString() {
    return label;
  }
}
