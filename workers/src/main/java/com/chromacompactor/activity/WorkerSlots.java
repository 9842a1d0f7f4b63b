package com.chromacompactor.activity;

import java.util.concurrent.Semaphore;

/**
 * The worker's capacity: one permit per task it may run at once, shared by all pollers. A poller
 * starts a GetActivityTask only while a permit is free, but does not hold it during the long poll:
 * five activities' idle polls would otherwise hold every permit for up to 60 s while a task waited
 * on another activity. The task takes its permit when it starts and gives it back when it ends; if
 * two pollers bring tasks for the last free permit, the second waits for it with its heartbeats
 * already running.
 */
final class WorkerSlots {
  private final Semaphore permits;

  WorkerSlots(int capacity) {
    this.permits = new Semaphore(capacity, true);
  }

  void acquire() throws InterruptedException {
    permits.acquire();
  }

  /** Takes a permit if one is free now. */
  boolean tryAcquire() {
    return permits.tryAcquire();
  }

  /** Waits until a permit is free, without taking it. */
  void awaitFree() throws InterruptedException {
    while (permits.availablePermits() == 0) {
      Thread.sleep(FREE_CHECK_MILLIS);
    }
  }

  private static final long FREE_CHECK_MILLIS = 50;

  void release() {
    permits.release();
  }

  int available() {
    return permits.availablePermits();
  }
}
