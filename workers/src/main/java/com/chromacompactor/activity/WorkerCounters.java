package com.chromacompactor.activity;

import java.util.concurrent.atomic.LongAdder;

/** What one worker process has done since it started; logged at stop, read by tests. */
public final class WorkerCounters {
  final LongAdder polls = new LongAdder();
  final LongAdder emptyPolls = new LongAdder();
  final LongAdder pollErrors = new LongAdder();
  final LongAdder started = new LongAdder();
  final LongAdder succeeded = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder cancelled = new LongAdder();
  final LongAdder interrupted = new LongAdder();

  /** GetActivityTask calls that returned, with or without a task. */
  public long polls() {
    return polls.sum();
  }

  /** Polls that came back without a task: normal, not an error. */
  public long emptyPolls() {
    return emptyPolls.sum();
  }

  public long pollErrors() {
    return pollErrors.sum();
  }

  public long tasksStarted() {
    return started.sum();
  }

  public long tasksSucceeded() {
    return succeeded.sum();
  }

  /** Tasks this worker reported with SendTaskFailure, including {@link #tasksInterrupted()}. */
  public long tasksFailed() {
    return failed.sum();
  }

  /** Tasks taken away from this worker (heartbeat refused); nothing was reported for them. */
  public long tasksCancelled() {
    return cancelled.sum();
  }

  /** Tasks still running at the stop deadline, failed as {@code Worker.Interrupted}. */
  public long tasksInterrupted() {
    return interrupted.sum();
  }

  @Override
  public String toString() {
    return "polls="
        + polls()
        + " (empty "
        + emptyPolls()
        + ", errors "
        + pollErrors()
        + "), tasks started="
        + tasksStarted()
        + " succeeded="
        + tasksSucceeded()
        + " failed="
        + tasksFailed()
        + " (interrupted "
        + tasksInterrupted()
        + ") cancelled="
        + tasksCancelled();
  }
}
