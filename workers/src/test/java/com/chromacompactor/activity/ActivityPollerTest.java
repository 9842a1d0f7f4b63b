package com.chromacompactor.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The poller's slot accounting. An empty GetActivityTask takes 60 s on AWS and on LocalStack, so
 * these tests feed the poller from an in-memory {@link ActivityPoller.TaskSource}; the real calls
 * are covered by {@code ActivityWorkerTest}.
 */
class ActivityPollerTest {
  private static final ActivityPoller.Target TARGET =
      new ActivityPoller.Target(
          WorkflowStep.PLAN, "arn:aws:states:us-east-1:000000000000:activity:p", "w-Plan");

  @Test
  void aLongPollHoldsNoSlotSoOtherActivitiesTasksNeverWaitForIt() throws Exception {
    WorkerSlots slots = new WorkerSlots(1);
    AtomicInteger polls = new AtomicInteger();
    List<Integer> freeDuringPolls = new CopyOnWriteArrayList<>();
    Recorder recorder = new Recorder();
    ActivityPoller poller =
        new ActivityPoller(
            TARGET,
            target -> {
              freeDuringPolls.add(slots.available());
              return polls.incrementAndGet() <= 3
                  ? null
                  : new ActivityPoller.ReceivedTask("token-4", "{}");
            },
            slots,
            recorder);
    poller.start();
    assertTrue(recorder.received.await(10, TimeUnit.SECONDS));
    poller.stop();
    assertTrue(poller.join(Duration.ofSeconds(5)));
    assertEquals(
        List.of("empty", "empty", "empty", "task", "received token-4"),
        recorder.events.subList(0, 5));
    assertEquals(
        List.of(1, 1, 1, 1), freeDuringPolls.subList(0, 4), "the slot stays free while polling");
    assertEquals(1, slots.available(), "the task takes its slot when it starts, in the worker");
  }

  @Test
  void noPollStartsWithoutAFreeSlot() throws Exception {
    WorkerSlots slots = new WorkerSlots(1);
    slots.acquire(); // a task is running
    AtomicInteger polls = new AtomicInteger();
    Recorder recorder = new Recorder();
    ActivityPoller poller =
        new ActivityPoller(
            TARGET,
            target -> {
              polls.incrementAndGet();
              return new ActivityPoller.ReceivedTask("token", "{}");
            },
            slots,
            recorder);
    poller.start();
    Thread.sleep(300);
    assertEquals(0, polls.get(), "polled with no capacity");
    slots.release(); // the task ended
    assertTrue(recorder.received.await(5, TimeUnit.SECONDS));
    poller.stop();
    assertTrue(poller.join(Duration.ofSeconds(5)));
    assertTrue(polls.get() >= 1, "polled once the slot was free");
  }

  @Test
  void failedPollReturnsThePermitAndPollsAgain() throws Exception {
    WorkerSlots slots = new WorkerSlots(1);
    AtomicInteger polls = new AtomicInteger();
    Recorder recorder = new Recorder();
    ActivityPoller poller =
        new ActivityPoller(
            TARGET,
            target -> {
              if (polls.incrementAndGet() == 1) {
                throw new IllegalStateException("throttled");
              }
              return new ActivityPoller.ReceivedTask("token-2", "{}");
            },
            slots,
            recorder);
    poller.start();
    assertTrue(recorder.received.await(10, TimeUnit.SECONDS));
    poller.stop();
    assertTrue(poller.join(Duration.ofSeconds(5)));
    assertEquals(
        List.of("failed throttled", "task", "received token-2"), recorder.events.subList(0, 3));
  }

  @Test
  void stopDoesNotCutAPollInProgressAndItsTaskIsStillDelivered() throws Exception {
    WorkerSlots slots = new WorkerSlots(2);
    CountDownLatch inPoll = new CountDownLatch(1);
    CountDownLatch answer = new CountDownLatch(1);
    List<Boolean> interrupted = new CopyOnWriteArrayList<>();
    Recorder recorder = new Recorder();
    ActivityPoller poller =
        new ActivityPoller(
            TARGET,
            target -> {
              inPoll.countDown();
              try {
                answer.await();
              } catch (InterruptedException e) {
                interrupted.add(true);
                Thread.currentThread().interrupt();
                return null;
              }
              return new ActivityPoller.ReceivedTask("late", "{}");
            },
            slots,
            recorder);
    poller.start();
    assertTrue(inPoll.await(5, TimeUnit.SECONDS));
    poller.stop();
    assertTrue(poller.isPolling());
    assertFalse(poller.join(Duration.ofMillis(200)), "stop() cut the poll");
    answer.countDown();
    assertTrue(poller.join(Duration.ofSeconds(5)));
    assertEquals(List.of(), interrupted);
    assertEquals(
        List.of("task", "received late"), recorder.events, "the worker must see the late task");
    assertEquals(
        2, slots.available(), "the poller holds no slot; the late task takes one when it starts");
  }

  /** Records what the poller reports, as the worker would receive it. */
  private static final class Recorder implements ActivityPoller.Listener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final CountDownLatch received = new CountDownLatch(1);

    @Override
    public void taskReceived(WorkflowStep step, ActivityPoller.ReceivedTask task) {
      events.add("received " + task.token());
      received.countDown();
    }

    @Override
    public void pollCompleted(WorkflowStep step, boolean empty) {
      events.add(empty ? "empty" : "task");
    }

    @Override
    public void pollFailed(WorkflowStep step, RuntimeException e) {
      events.add("failed " + e.getMessage());
    }
  }
}
