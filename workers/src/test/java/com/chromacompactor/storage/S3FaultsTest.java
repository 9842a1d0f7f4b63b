package com.chromacompactor.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.activity.ErrorClassifier;
import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.aws.AwsSettings.S3Timeouts;
import com.chromacompactor.aws.Resilience;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.TaskError;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3 on LocalStack behind a fault-injecting SDK interceptor: the first responses of every call are
 * replaced by 500s, 503 SlowDown or a dropped connection, or a body stops flowing midway. The store
 * rides them out with backoff and jitter, abandons a stalled attempt at its timeout, and reports
 * {@code Storage.Transient} once the faults outlast its retries.
 */
class S3FaultsTest {
  private static final Resilience.Policy QUICK =
      new Resilience.Policy(6, Duration.ofMillis(20), Duration.ofMillis(200), 100);

  /**
   * Short limits, so that a stall costs a fraction of a second: 700 ms per attempt (LocalStack
   * answers in milliseconds), and transfers slower than 256 KiB/s count as stalled.
   */
  private static final S3Timeouts SHORT = new S3Timeouts(Duration.ofMillis(700), 256 << 10);

  /** How long an injected stall would last if the attempt were not abandoned. */
  private static final Duration STALL = Duration.ofSeconds(30);

  private final Faults faults = new Faults();
  private S3Client s3;
  private String bucket;
  private S3BlobStore store;

  @TempDir Path dir;

  @BeforeEach
  void setUp() {
    AwsClients clients =
        new AwsClients(AwsSettings.localStack().withS3Timeouts(SHORT), List.of(faults));
    s3 = clients.s3();
    bucket = "faults-" + UUID.randomUUID().toString().substring(0, 8);
    s3.createBucket(b -> b.bucket(bucket));
    store =
        new S3BlobStore(s3, bucket, new Resilience("s3", QUICK), clients.settings().s3Timeouts());
  }

  @AfterEach
  void tearDown() {
    s3.close();
  }

  @Test
  void serverErrorsAreRetriedUntilTheCallGoesThrough() throws Exception {
    faults.inject(Fault.INTERNAL_ERROR, 4);
    store.put("plans/x/chunks.json", "[]".getBytes(StandardCharsets.UTF_8));
    faults.inject(Fault.SLOW_DOWN, 4);
    assertArrayEquals(
        "[]".getBytes(StandardCharsets.UTF_8),
        store.get("plans/x/chunks.json").orElseThrow().body());
    assertTrue(faults.injected.get() >= 8, "faults injected: " + faults.injected.get());
  }

  @Test
  void droppedConnectionsAreRetriedToo() throws Exception {
    faults.inject(Fault.CONNECTION_RESET, 3);
    assertEquals(List.of(), store.listKeys("deltas/"));
    assertEquals(3, faults.injected.get());
  }

  @Test
  void errorsThatOutlastTheRetriesSurfaceAsStorageTransient() {
    faults.inject(Fault.SLOW_DOWN, Integer.MAX_VALUE);
    RuntimeException e = assertThrows(RuntimeException.class, () -> store.get("latest"));
    assertTrue(e instanceof Resilience.TransientAwsException, e.toString());
    assertTrue(e.getMessage().contains("still failing after 6 attempts"), e.getMessage());
    assertEquals(ErrorNames.STORAGE_TRANSIENT, ErrorClassifier.classify(e).error());
  }

  @Test
  void aDownloadThatStallsMidwayIsAbandonedAtTheAttemptTimeoutAndRetried() throws Exception {
    byte[] data = randomBytes(200 << 10);
    s3.putObject(
        b -> b.bucket(bucket).key("deltas/d1/chroma.sqlite3"), RequestBody.fromBytes(data));
    faults.stallResponses(1);
    long start = System.nanoTime();
    Path target = dir.resolve("d1/chroma.sqlite3");
    store.download("deltas/d1/chroma.sqlite3", target);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertEquals(1, faults.stalled.get(), "one attempt stalled");
    assertEquals(2, faults.responseBodies.get(), "the stalled GET and its retry");
    assertArrayEquals(data, Files.readAllBytes(target));
    assertFalse(Files.exists(dir.resolve("d1/chroma.sqlite3.part")), "no partial file left");
    assertTrue(
        took.compareTo(SHORT.attempt(data.length).plusSeconds(3)) < 0,
        "the stalled attempt was cut at its timeout, not waited out: " + took);
  }

  @Test
  void aFolderDownloadTakesEachObjectsSizeFromTheListing() throws Exception {
    // 1 MiB at 1 MiB/s takes a second, past the 700 ms of a call sized as empty: only the size the
    // listing gave lets the GET through in one attempt, and no HEAD is sent to learn it.
    byte[] big = randomBytes(1 << 20);
    byte[] small = randomBytes(1 << 10);
    s3.putObject(b -> b.bucket(bucket).key("deltas/d2/chroma.sqlite3"), RequestBody.fromBytes(big));
    s3.putObject(
        b -> b.bucket(bucket).key("deltas/d2/seg/header.bin"), RequestBody.fromBytes(small));
    faults.sent.set(0);
    faults.throttle(1 << 20);
    assertEquals(2, FolderTransfer.download(store, "deltas/d2/", dir.resolve("d2")));

    assertArrayEquals(big, Files.readAllBytes(dir.resolve("d2/chroma.sqlite3")));
    assertArrayEquals(small, Files.readAllBytes(dir.resolve("d2/seg/header.bin")));
    assertEquals(3, faults.sent.get(), "one LIST and one GET per object, each in one attempt");
  }

  @Test
  void anUploadThatStallsMidwayIsAbandonedAtTheAttemptTimeoutAndRetried() throws Exception {
    byte[] data = randomBytes(200 << 10);
    Path file = Files.write(dir.resolve("chroma.sqlite3"), data);
    faults.stallUploads(1);
    long start = System.nanoTime();
    store.upload(file, "intermediate/b1/chunk-0/chroma.sqlite3");
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertEquals(1, faults.stalled.get(), "one attempt stalled");
    assertEquals(2, faults.requestBodies.get(), "the stalled PUT and its retry");
    assertArrayEquals(
        data,
        s3.getObjectAsBytes(b -> b.bucket(bucket).key("intermediate/b1/chunk-0/chroma.sqlite3"))
            .asByteArray());
    assertTrue(
        took.compareTo(SHORT.attempt(data.length).plusSeconds(3)) < 0,
        "the stalled attempt was cut at its timeout, not waited out: " + took);
  }

  @Test
  void aTransferSlowerThanTheCallTimeoutButAboveTheFloorRateIsNotCut() throws Exception {
    // 1 MiB at 1 MiB/s takes a second, past the 700 ms of a small call, within 700 ms + 1 MiB at
    // 256 KiB/s.
    byte[] data = randomBytes(1 << 20);
    Path file = Files.write(dir.resolve("data_level0.bin"), data);
    faults.throttle(1 << 20);
    long start = System.nanoTime();
    store.upload(file, "snapshots/b1/hnsw/data_level0.bin");
    Path back = dir.resolve("back/data_level0.bin");
    store.download("snapshots/b1/hnsw/data_level0.bin", back);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertArrayEquals(data, Files.readAllBytes(back));
    assertEquals(1, faults.requestBodies.get(), "the upload went through in one attempt");
    assertEquals(1, faults.responseBodies.get(), "the download went through in one attempt");
    assertTrue(took.compareTo(SHORT.attempt().multipliedBy(2)) > 0, "both were throttled: " + took);
  }

  @Test
  void slownessThatOutlastsTheRetriesSurfacesAsStorageTransientNamingTheTimeout() throws Exception {
    store.put("latest", "snapshots/b1/".getBytes(StandardCharsets.UTF_8));
    Resilience twoAttempts =
        new Resilience(
            "s3", new Resilience.Policy(2, Duration.ofMillis(20), Duration.ofMillis(50), 100));
    S3BlobStore impatient = new S3BlobStore(s3, bucket, twoAttempts, SHORT);
    faults.stallResponses(Integer.MAX_VALUE);
    int sentBefore = faults.sent.get();
    long start = System.nanoTime();
    RuntimeException e = assertThrows(RuntimeException.class, () -> impatient.get("latest"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertInstanceOf(Resilience.TransientAwsException.class, e);
    assertInstanceOf(ApiCallAttemptTimeoutException.class, e.getCause());
    assertEquals(
        4,
        faults.sent.get() - sentBefore,
        "2 attempts of Resilience x 2 of the SDK, each abandoned");
    assertTrue(faults.stalled.get() >= 1, "the attempts stalled: " + faults.stalled.get());
    assertTrue(took.compareTo(STALL) < 0, "every attempt was cut at its timeout: " + took);
    TaskError error = ErrorClassifier.classify(e);
    assertEquals(ErrorNames.STORAGE_TRANSIENT, error.error());
    assertTrue(
        error
            .cause()
            .contains(
                "s3 get latest: still failing after 2 attempts: timed out: an attempt ran past"
                    + " the per-attempt timeout"),
        error.cause());
    assertTrue(error.cause().contains("700 millis"), "names the limit: " + error.cause());

    faults.stallResponses(0);
    assertArrayEquals(
        "snapshots/b1/".getBytes(StandardCharsets.UTF_8),
        store.get("latest").orElseThrow().body(),
        "the object is intact once S3 answers again");
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  /** What to put in place of a response. */
  private enum Fault {
    INTERNAL_ERROR,
    SLOW_DOWN,
    CONNECTION_RESET
  }

  /**
   * Replaces the next {@code n} HTTP responses (every attempt counts) with a fault; stalls bodies,
   * up or down, after their first bytes until the SDK abandons the attempt; or slows every body to
   * a rate.
   */
  private static final class Faults implements ExecutionInterceptor {
    private volatile Fault fault;
    private final AtomicInteger remaining = new AtomicInteger();
    private final AtomicInteger responseStalls = new AtomicInteger();
    private final AtomicInteger uploadStalls = new AtomicInteger();
    private volatile long bytesPerSecond;
    final AtomicInteger injected = new AtomicInteger();
    final AtomicInteger stalled = new AtomicInteger();

    /** Requests sent, every attempt counted. */
    final AtomicInteger sent = new AtomicInteger();

    /** Bodies that carried data (one per attempt of a GET or PUT of an object). */
    final AtomicInteger responseBodies = new AtomicInteger();

    final AtomicInteger requestBodies = new AtomicInteger();

    void inject(Fault f, int n) {
      fault = f;
      remaining.set(n);
    }

    void stallResponses(int n) {
      responseStalls.set(n);
    }

    void stallUploads(int n) {
      uploadStalls.set(n);
    }

    void throttle(long rate) {
      bytesPerSecond = rate;
    }

    @Override
    public void beforeTransmission(
        Context.BeforeTransmission context, ExecutionAttributes attributes) {
      sent.incrementAndGet();
    }

    @Override
    public SdkHttpResponse modifyHttpResponse(
        Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
      if (remaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) <= 0) {
        return context.httpResponse();
      }
      injected.incrementAndGet();
      switch (fault) {
        case CONNECTION_RESET:
          throw new UncheckedIOException(new IOException("Connection reset (injected)"));
        case INTERNAL_ERROR:
          return context.httpResponse().toBuilder()
              .statusCode(500)
              .statusText("Internal Server Error")
              .build();
        default:
          return context.httpResponse().toBuilder().statusCode(503).statusText("Slow Down").build();
      }
    }

    @Override
    public Optional<InputStream> modifyHttpResponseContent(
        Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
      return context.responseBody().map(body -> pace(body, responseStalls, responseBodies));
    }

    @Override
    public Optional<RequestBody> modifyHttpContent(
        Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
      // Called once per call; the provider opens a stream for each attempt.
      return context
          .requestBody()
          .map(
              body ->
                  body.optionalContentLength().isEmpty()
                      ? body
                      : RequestBody.fromContentProvider(
                          () ->
                              pace(
                                  body.contentStreamProvider().newStream(),
                                  uploadStalls,
                                  requestBodies),
                          body.optionalContentLength().get(),
                          body.contentType()));
    }

    /**
     * A body that, once its first bytes passed, stalls if {@code stalls} has one left, or else
     * flows at {@link #bytesPerSecond}; {@code bodies} counts those that carried data.
     */
    private InputStream pace(InputStream in, AtomicInteger stalls, AtomicInteger bodies) {
      long rate = bytesPerSecond;
      return new FilterInputStream(in) {
        private long passed;
        private Boolean stall;

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (passed > 0 && stall == null) {
            bodies.incrementAndGet();
            stall = stalls.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
          }
          if (Boolean.TRUE.equals(stall)) {
            stalled.incrementAndGet();
            sleep(STALL.toMillis()); // until the SDK interrupts the abandoned attempt
            throw new IOException("stall was not interrupted");
          }
          int n = super.read(b, off, Math.min(len, 8 << 10));
          if (n > 0 && rate > 0) {
            sleep(n * 1000L / rate);
          }
          passed += Math.max(n, 0);
          return n;
        }
      };
    }

    private static void sleep(long ms) throws InterruptedIOException {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("stalled body interrupted (injected stall)");
      }
    }
  }
}
