package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.HookedBucket;
import com.chromacompactor.testing.Series;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A claim is a lease that a dead holder loses (issue 17): a local run that was killed keeps its
 * batch only until its lease lapses, a live run renews it, two runs never both hold it, and a run
 * that lost it does not publish. The deployed side (Step Functions says the holder ended) is {@code
 * StepFunctionsHoldersTest}; a real {@code compactor run} killed by SIGKILL is {@code
 * cli.KilledRunIT}.
 */
class ClaimLeaseTest {
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
  private static final Duration LEASE = Duration.ofMinutes(2);

  @TempDir Path tmp;

  /** A clock that tests move. */
  private static final class MovableClock extends Clock {
    private final AtomicReference<Instant> now;

    MovableClock(Instant start) {
      now = new AtomicReference<>(start);
    }

    void advance(Duration d) {
      now.updateAndGet(t -> t.plus(d));
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  @Test
  void aRunKilledAfterItsClaimKeepsTheBatchUntilItsLeaseLapsesThenTheNextRunPublishesIt()
      throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = pushed("killed", series, 3);
    MovableClock clock = new MovableClock(Instant.now());
    LocalRun.Settings settings = LocalRun.Settings.defaults().withClaimLease(LEASE);

    // The run dies at its first download, which is Plan's census, right after its claim.
    HookedBucket dying = new HookedBucket(bucket).stopAfterDownloads(0);
    assertThrows(HookedBucket.Stopped.class, () -> run(dying, settings, clock, "local-111"));
    String batchId = onlyBatch(bucket);
    Claim held = Claim.parse(bucket.get(Claim.key(batchId)).orElseThrow().body());
    assertEquals("local-111", held.executionName());
    assertNull(held.executionArn(), "a local run has no execution to ask about");
    assertEquals(clock.instant().plus(LEASE), held.expiresAt());

    // Within the lease the batch is still the dead run's: the next run does nothing, and says whose
    // it is.
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    LocalRun.Result early =
        new LocalRun(
                bucket,
                settings,
                scratch(),
                new PrintStream(log, true, StandardCharsets.UTF_8),
                clock)
            .run("local-222");
    assertTrue(early.nothingToDo());
    assertTrue(
        log.toString(StandardCharsets.UTF_8).contains("is claimed by execution local-111"),
        log.toString());
    assertTrue(bucket.get(StorageLayout.LATEST_KEY).isEmpty());

    clock.advance(LEASE.plusSeconds(1));
    log.reset();
    LocalRun.Result next =
        new LocalRun(
                bucket,
                settings,
                scratch(),
                new PrintStream(log, true, StandardCharsets.UTF_8),
                clock)
            .run("local-333");
    assertEquals(batchId, next.plan().batchId(), "the same batch, taken over");
    assertTrue(
        log.toString(StandardCharsets.UTF_8).contains("took over the claim of local-111"),
        log.toString());
    assertEquals(
        next.publish().snapshotPrefix(), new BatchStore(bucket).latest().orElseThrow().prefix());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2)),
        ChromaDumps.dump(bucket.root().resolve(next.publish().snapshotPrefix())));
  }

  @Test
  void twoRunsThatJudgeTheSameClaimLostTakeItOverOnce() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = pushed("race", series, 2);
    MovableClock clock = new MovableClock(Instant.now());
    LocalRun.Settings settings = LocalRun.Settings.defaults().withClaimLease(LEASE);
    assertThrows(
        HookedBucket.Stopped.class,
        () -> run(new HookedBucket(bucket).stopAfterDownloads(0), settings, clock, "local-dead"));
    String batchId = onlyBatch(bucket);
    clock.advance(LEASE.plusSeconds(1));

    // Run A read the lapsed claim; before its conditional overwrite lands, run B takes the batch
    // over and publishes.
    AtomicReference<LocalRun.Result> b = new AtomicReference<>();
    HookedBucket racing =
        new HookedBucket(bucket)
            .beforeFirstPutIfMatch(
                k -> k.equals(Claim.key(batchId)),
                () -> b.set(run(bucket, settings, clock, "local-b")));
    LocalRun.Result a = run(racing, settings, clock, "local-a");

    assertNotNull(b.get().publish(), "B took the claim over and published");
    assertTrue(
        a.nothingToDo(),
        "A's overwrite was conditional on the claim it judged, which B had replaced");
    assertEquals(
        List.of(b.get().publish().snapshotPrefix()),
        bucket.listFolders(StorageLayout.SNAPSHOTS_PREFIX));
    assertEquals(
        "local-b",
        Claim.parse(bucket.get(Claim.key(batchId)).orElseThrow().body()).executionName());
  }

  @Test
  void aRunWhoseClaimWasTakenOverStopsBeforePublishing() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = pushed("stolen", series, 2);
    // While run A merges its first chunk, its lease is (as if) lapsed and run B's claim replaces
    // it.
    HookedBucket hooked = new HookedBucket(bucket);
    hooked.beforeFirstGet(
        k -> k.endsWith("/chunks.json"),
        () -> {
          String batchId = onlyBatch(bucket);
          bucket.put(Claim.key(batchId), Claim.of("local-b", null, Instant.now(), LEASE).bytes());
        });
    TaskFailure lost =
        assertThrows(
            TaskFailure.class,
            () ->
                run(
                    hooked,
                    LocalRun.Settings.defaults().withClaimLease(LEASE),
                    Clock.systemUTC(),
                    "local-a"));
    assertEquals(ErrorNames.CLAIM_LOST, lost.errorName());
    assertTrue(lost.getMessage().contains("not published"), lost.getMessage());
    assertTrue(bucket.get(StorageLayout.LATEST_KEY).isEmpty(), "nothing published");
  }

  @Test
  void aRenewalMovesTheLeaseAndFindsATakeoverOrARemovedClaim() throws Exception {
    LocalBlobStore bucket = new LocalBlobStore(Files.createDirectories(tmp.resolve("renew")));
    BatchStore store = new BatchStore(bucket);
    MovableClock clock = new MovableClock(Instant.parse("2026-12-06T12:00:00Z"));
    bucket.put(Claim.key("b-1"), Claim.of("local-1", null, clock.instant(), LEASE).bytes());
    clock.advance(Duration.ofSeconds(40));
    assertEquals(
        ClaimLease.Renewal.RENEWED, ClaimLease.renew(store, "b-1", "local-1", LEASE, clock));
    Claim renewed = Claim.parse(bucket.get(Claim.key("b-1")).orElseThrow().body());
    assertEquals(Instant.parse("2026-12-06T12:00:00Z"), renewed.claimedAt());
    assertEquals(Instant.parse("2026-12-06T12:00:40Z"), renewed.renewedAt());
    assertEquals(Instant.parse("2026-12-06T12:02:40Z"), renewed.expiresAt());

    assertEquals(
        ClaimLease.Renewal.LOST,
        ClaimLease.renew(store, "b-1", "local-2", LEASE, clock),
        "not its claim");
    bucket.delete(List.of(Claim.key("b-1")));
    assertEquals(
        ClaimLease.Renewal.LOST,
        ClaimLease.renew(store, "b-1", "local-1", LEASE, clock),
        "claim gone");

    // A claim written before leases lapses 25 hours after it was claimed.
    Claim legacy =
        Claim.parse(
            "{\"executionName\":\"exec-old\",\"claimedAt\":\"2026-12-01T00:00:00Z\"}"
                .getBytes(StandardCharsets.UTF_8));
    assertEquals(Instant.parse("2026-12-02T01:00:00Z"), legacy.expiry());
  }

  @Test
  void aHeldLeaseIsRenewedInTheBackgroundAndLearnsOfATakeover() throws Exception {
    LocalBlobStore bucket = new LocalBlobStore(Files.createDirectories(tmp.resolve("background")));
    BatchStore store = new BatchStore(bucket);
    Duration lease = Duration.ofMillis(600);
    Claim first = Claim.of("local-1", null, Instant.now(), lease);
    bucket.put(Claim.key("b-2"), first.bytes());
    try (ClaimLease held =
        ClaimLease.start(store, "b-2", "local-1", lease, Clock.systemUTC(), QUIET)) {
      Claim now = first;
      for (int i = 0; i < 100 && now.renewedAt() == null; i++) {
        Thread.sleep(50);
        now = Claim.parse(bucket.get(Claim.key("b-2")).orElseThrow().body());
      }
      assertNotNull(now.renewedAt(), "renewed within a third of the lease");
      assertTrue(now.expiresAt().isAfter(first.expiresAt()), now.describe());
      assertTrue(held.lostBecause().isEmpty());

      bucket.put(Claim.key("b-2"), Claim.of("local-2", null, Instant.now(), LEASE).bytes());
      for (int i = 0; i < 100 && held.lostBecause().isEmpty(); i++) {
        Thread.sleep(50);
      }
      assertTrue(
          held.lostBecause().orElseThrow().contains("taken over"), held.lostBecause().toString());
      assertEquals(
          "local-2",
          Claim.parse(bucket.get(Claim.key("b-2")).orElseThrow().body()).executionName(),
          "a renewal never overwrites another run's claim");
    }
  }

  // ---------------------------------------------------------------- helpers

  private LocalBlobStore pushed(String name, Series series, int deltas) throws Exception {
    LocalBlobStore bucket = new LocalBlobStore(Files.createDirectories(tmp.resolve(name)));
    for (int i = 0; i < deltas; i++) {
      DeltaPush.push(
          bucket,
          Lineage.NONE,
          series.delta(i),
          series.delta(i).getFileName().toString(),
          i,
          "test");
    }
    return bucket;
  }

  private static String onlyBatch(BlobStore bucket) throws Exception {
    List<String> claims =
        bucket.listKeys(StorageLayout.PLANS_PREFIX).stream()
            .filter(k -> k.endsWith("/" + Claim.FILE))
            .toList();
    assertEquals(1, claims.size(), claims.toString());
    return claims
        .get(0)
        .substring(StorageLayout.PLANS_PREFIX.length(), claims.get(0).lastIndexOf('/'));
  }

  private LocalRun.Result run(
      BlobStore bucket, LocalRun.Settings settings, Clock clock, String execution)
      throws Exception {
    return new LocalRun(bucket, settings, scratch(), QUIET, clock).run(execution);
  }

  private Path scratch() throws Exception {
    return Files.createTempDirectory(tmp, "scratch-");
  }
}
