package com.chromacompactor.activity;

import com.chromacompactor.aws.Resilience;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.InvalidTokenException;
import software.amazon.awssdk.services.sfn.model.TaskDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.TaskTimedOutException;

/**
 * SendTaskHeartbeat every interval for each running task, from threads beside the work.
 *
 * <p>When Step Functions refuses a heartbeat because the task is gone (timed out, the execution
 * ended, or the token is unknown), the task is cancelled and interrupted and nothing more is
 * reported for it. Any other heartbeat error is logged, and the next tick tries again.
 */
final class Heartbeats implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);

  private final SfnClient sfn;
  private final Resilience resilience;
  private final Duration interval;
  private final ScheduledExecutorService timer;
  private final Map<RunningTask, ScheduledFuture<?>> beating = new ConcurrentHashMap<>();

  Heartbeats(SfnClient sfn, Resilience resilience, Duration interval, int threads) {
    this.sfn = sfn;
    this.resilience = resilience;
    this.interval = interval;
    AtomicInteger n = new AtomicInteger();
    this.timer =
        Executors.newScheduledThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "heartbeat-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  void start(RunningTask task) {
    long ms = interval.toMillis();
    beating.put(
        task, timer.scheduleWithFixedDelay(() -> beat(task), ms, ms, TimeUnit.MILLISECONDS));
  }

  void stop(RunningTask task) {
    ScheduledFuture<?> f = beating.remove(task);
    if (f != null) {
      f.cancel(false);
    }
  }

  private void beat(RunningTask task) {
    if (task.isCancelled()) {
      stop(task);
      return;
    }
    try {
      resilience.run(
          "SendTaskHeartbeat", () -> sfn.sendTaskHeartbeat(b -> b.taskToken(task.token())));
      log.debug("{}: heartbeat ({})", task.label(), task.status());
    } catch (TaskTimedOutException | TaskDoesNotExistException | InvalidTokenException e) {
      stop(task);
      if (task.claimOutcome()) {
        log.warn(
            "{}: heartbeat refused ({}: {}); cancelling the task, reporting nothing",
            task.label(),
            e.getClass().getSimpleName(),
            e.getMessage());
        task.cancel(
            RunningTask.Cancellation.TAKEN_AWAY,
            "the task is no longer ours: " + e.getClass().getSimpleName());
      }
    } catch (RuntimeException e) {
      // Deciding a retry: the next tick sends the next heartbeat. A scheduled task that threw would
      // never run again.
      log.warn(
          "{}: heartbeat failed, trying again in {} s: {}",
          task.label(),
          interval.toSeconds(),
          e.toString());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    beating.clear();
  }
}
