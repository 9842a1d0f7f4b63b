package com.chromacompactor.workflow;

import com.chromacompactor.storage.BlobStore;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A local run's hold on its batch: it renews its claim every third of the lease while the run
 * lasts, so that the claim of a run that was killed lapses within one lease and the next run takes
 * the batch over. Each renewal is a conditional write over the claim it read ({@code If-Match}), so
 * a renewal never overwrites a claim that another run took over; a run that finds its claim taken
 * stops before it publishes ({@link #check()}).
 *
 * <p>A renewal that fails for a storage error is tried again at the next tick: two may fail before
 * the lease lapses.
 */
final class ClaimLease implements AutoCloseable {
  /** How one renewal went. */
  enum Renewal {
    RENEWED,
    /** The claim is gone or another execution holds it. */
    LOST
  }

  private final BatchStore store;
  private final String batchId;
  private final String executionName;
  private final Duration lease;
  private final Clock clock;
  private final PrintStream log;
  private final AtomicReference<String> lost = new AtomicReference<>();
  private final ScheduledExecutorService timer;

  private ClaimLease(
      BatchStore store,
      String batchId,
      String executionName,
      Duration lease,
      Clock clock,
      PrintStream log) {
    this.store = store;
    this.batchId = batchId;
    this.executionName = executionName;
    this.lease = lease;
    this.clock = clock;
    this.log = log;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "claim-lease-" + batchId);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts renewing {@code executionName}'s claim of {@code batchId}, every third of {@code lease}.
   */
  static ClaimLease start(
      BatchStore store,
      String batchId,
      String executionName,
      Duration lease,
      Clock clock,
      PrintStream log) {
    ClaimLease held = new ClaimLease(store, batchId, executionName, lease, clock, log);
    long every = Math.max(1, lease.toMillis() / 3);
    held.timer.scheduleWithFixedDelay(held::tick, every, every, TimeUnit.MILLISECONDS);
    return held;
  }

  private void tick() {
    if (lost.get() != null) {
      return;
    }
    try {
      if (renew(store, batchId, executionName, lease, clock) == Renewal.LOST) {
        lost.set(
            "the claim of batch "
                + batchId
                + " was taken over or removed while "
                + executionName
                + " ran");
        log.println("  lease: " + lost.get() + "; this run stops before it publishes");
      }
    } catch (IOException | RuntimeException e) {
      log.println(
          "  lease: renewing the claim of batch "
              + batchId
              + " failed, tried again in "
              + lease.dividedBy(3).toSeconds()
              + " s: "
              + e.getMessage());
    }
  }

  /**
   * One renewal: read the claim, and if it is still this execution's, write it back renewed over
   * that version.
   */
  static Renewal renew(
      BatchStore store, String batchId, String executionName, Duration lease, Clock clock)
      throws IOException {
    String key = Claim.key(batchId);
    Optional<BlobStore.Blob> current = store.blobs.get(key);
    if (current.isEmpty()) {
      return Renewal.LOST;
    }
    Claim claim = Claim.parse(current.get().body());
    if (!executionName.equals(claim.executionName())) {
      return Renewal.LOST;
    }
    Claim renewed = claim.renewed(clock.instant(), lease);
    if (store.blobs.putIfMatch(key, renewed.bytes(), current.get().etag())) {
      return Renewal.RENEWED;
    }
    // A write whose answer was lost is retried by the client and fails its own precondition: then
    // the claim now
    // stored is the renewal itself.
    Optional<BlobStore.Blob> now = store.blobs.get(key);
    return now.isPresent() && Claim.parse(now.get().body()).equals(renewed)
        ? Renewal.RENEWED
        : Renewal.LOST;
  }

  /** Why this run no longer holds its batch, if it does not. */
  Optional<String> lostBecause() {
    return Optional.ofNullable(lost.get());
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
