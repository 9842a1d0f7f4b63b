package com.chromacompactor.activity;

import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Long-polls one activity on its own thread. Each round takes a slot first ({@link WorkerSlots}):
 * with no capacity left it waits for a task to end rather than claim a task it could not start. A
 * task goes to the {@link Listener}, which owns the slot from then on; an empty poll gives the slot
 * back and polls again.
 *
 * <p>{@link #stop()} starts no new poll but does not cut one in progress: Step Functions may hand a
 * task to a poll whose connection was just closed, and that task would be lost until its heartbeat
 * timeout. A poll that returns a task after stop() still passes it to the listener (the worker
 * fails it at once as retryable). At the stop deadline the worker closes the poll client, which
 * ends a poll still in progress.
 */
final class ActivityPoller {
  /**
   * An empty poll that came back sooner than this waits for the rest, so that an activity endpoint
   * that answers at once is not polled in a tight loop (AWS and LocalStack hold an empty poll for
   * 60 s).
   */
  static final Duration MIN_EMPTY_POLL_CYCLE = Duration.ofMillis(500);

  /** After a failed poll (Resilience already retried), waits double from 1 s up to this. */
  static final Duration MAX_ERROR_PAUSE = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(ActivityPoller.class);

  /** One poll target: the step, its activity, and the name sent as GetActivityTask's workerName. */
  record Target(WorkflowStep step, String activityArn, String workerName) {}

  /** A task as GetActivityTask hands it out. */
  record ReceivedTask(String token, String input) {}

  /** One GetActivityTask call (through Resilience); null when the poll came back empty. */
  @FunctionalInterface
  interface TaskSource {
    ReceivedTask poll(Target target);
  }

  /** Receives what the polls bring. */
  interface Listener {
    /** A task arrived; the listener now owns the slot the poll held. */
    void taskReceived(WorkflowStep step, ReceivedTask task);

    void pollCompleted(WorkflowStep step, boolean empty);

    void pollFailed(WorkflowStep step, RuntimeException e);
  }

  private enum Outcome {
    TASK,
    EMPTY,
    FAILED,
    STOPPED
  }

  private final Target target;
  private final TaskSource source;
  private final WorkerSlots slots;
  private final Listener listener;
  private final Thread thread;
  private final Object pollState = new Object();
  private boolean polling;
  private volatile boolean stopped;

  ActivityPoller(Target target, TaskSource source, WorkerSlots slots, Listener listener) {
    this.target = target;
    this.source = source;
    this.slots = slots;
    this.listener = listener;
    this.thread = new Thread(this::pollUntilStopped, "poller-" + target.step().stateName());
  }

  Target target() {
    return target;
  }

  void start() {
    thread.start();
  }

  /**
   * No new poll starts. A thread waiting for a slot or pausing is woken; a poll in progress runs to
   * its end.
   */
  void stop() {
    synchronized (pollState) {
      stopped = true;
      if (!polling) {
        thread.interrupt();
      }
    }
  }

  /** Whether a GetActivityTask call is in progress. */
  boolean isPolling() {
    synchronized (pollState) {
      return polling;
    }
  }

  boolean join(Duration timeout) throws InterruptedException {
    thread.join(Math.max(1, timeout.toMillis()));
    return !thread.isAlive();
  }

  private void pollUntilStopped() {
    log.info("polling {} as {}", target.activityArn(), target.workerName());
    Duration errorPause = Duration.ofSeconds(1);
    try {
      while (!stopped) {
        long began = System.nanoTime();
        switch (pollOnce()) {
          case TASK -> errorPause = Duration.ofSeconds(1);
          case EMPTY -> {
            errorPause = Duration.ofSeconds(1);
            pause(MIN_EMPTY_POLL_CYCLE.minusNanos(System.nanoTime() - began));
          }
          case FAILED -> {
            pause(errorPause);
            Duration doubled = errorPause.multipliedBy(2);
            errorPause = doubled.compareTo(MAX_ERROR_PAUSE) > 0 ? MAX_ERROR_PAUSE : doubled;
          }
          case STOPPED -> {
            return;
          }
        }
      }
    } catch (InterruptedException e) {
      // stop(): leave the loop
    } finally {
      log.info("stopped polling {}", target.step().stateName());
    }
  }

  /**
   * One round: wait for a free slot, then one GetActivityTask; the task takes its slot when it
   * starts.
   */
  private Outcome pollOnce() throws InterruptedException {
    slots.awaitFree();
    try {
      synchronized (pollState) {
        if (stopped) {
          return Outcome.STOPPED;
        }
        polling = true;
      }
      ReceivedTask task;
      try {
        task = source.poll(target);
      } finally {
        synchronized (pollState) {
          polling = false;
        }
      }
      listener.pollCompleted(target.step(), task == null);
      if (task == null) {
        return Outcome.EMPTY;
      }
      listener.taskReceived(target.step(), task);
      return Outcome.TASK;
    } catch (RuntimeException e) {
      if (stopped) {
        return Outcome.STOPPED; // the poll was cut at the stop deadline: expected
      }
      listener.pollFailed(target.step(), e);
      return Outcome.FAILED;
    }
  }

  private void pause(Duration d) throws InterruptedException {
    if (!d.isNegative() && !d.isZero()) {
      Thread.sleep(d.toMillis());
    }
  }
}
