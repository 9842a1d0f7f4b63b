package com.chromacompactor.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.activity.ErrorClassifier;
import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.aws.Resilience;
import com.chromacompactor.statemachine.contract.ErrorNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * S3 on LocalStack behind a fault-injecting SDK interceptor: the first responses of every call are
 * replaced by 500s, 503 SlowDown or a dropped connection. The store rides them out with backoff and
 * jitter, and reports {@code Storage.Transient} once they outlast its retries.
 */
class S3FaultsTest {
  private static final Resilience.Policy QUICK = new Resilience.Policy(6, Duration.ofMillis(20), Duration.ofMillis(200), 100);

  private final Faults faults = new Faults();
  private S3BlobStore store;

  @BeforeEach
  void setUp() {
    AwsClients clients = new AwsClients(AwsSettings.localStack(), List.of(faults));
    var s3 = clients.s3();
    String bucket = "faults-" + UUID.randomUUID().toString().substring(0, 8);
    s3.createBucket(b -> b.bucket(bucket));
    store = new S3BlobStore(s3, bucket, new Resilience("s3", QUICK));
  }

  @Test
  void serverErrorsAreRetriedUntilTheCallGoesThrough() throws Exception {
    faults.inject(Fault.INTERNAL_ERROR, 4);
    store.put("plans/x/chunks.json", "[]".getBytes(StandardCharsets.UTF_8));
    faults.inject(Fault.SLOW_DOWN, 4);
    assertArrayEquals("[]".getBytes(StandardCharsets.UTF_8), store.get("plans/x/chunks.json").orElseThrow().body());
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

  /** What to put in place of a response. */
  private enum Fault { INTERNAL_ERROR, SLOW_DOWN, CONNECTION_RESET }

  /** Replaces the next {@code n} HTTP responses (every attempt counts) with a fault. */
  private static final class Faults implements ExecutionInterceptor {
    private volatile Fault fault;
    private final AtomicInteger remaining = new AtomicInteger();
    final AtomicInteger injected = new AtomicInteger();

    void inject(Fault f, int n) {
      fault = f;
      remaining.set(n);
    }

    @Override
    public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
      if (remaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) <= 0) {
        return context.httpResponse();
      }
      injected.incrementAndGet();
      switch (fault) {
        case CONNECTION_RESET:
          throw new UncheckedIOException(new IOException("Connection reset (injected)"));
        case INTERNAL_ERROR:
          return context.httpResponse().toBuilder().statusCode(500).statusText("Internal Server Error").build();
        default:
          return context.httpResponse().toBuilder().statusCode(503).statusText("Slow Down").build();
      }
    }
  }
}
