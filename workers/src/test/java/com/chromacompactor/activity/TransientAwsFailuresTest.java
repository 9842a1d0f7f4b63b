package com.chromacompactor.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.aws.Resilience;
import com.chromacompactor.statemachine.contract.ErrorNames;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.sfn.SfnClient;

/**
 * S3 and Step Functions calls through {@link Resilience}: a closed port (connection refused) is
 * retried and surfaces as {@link Resilience.TransientAwsException}, reported as {@code
 * Storage.Transient}; a real error from LocalStack passes through at once.
 */
class TransientAwsFailuresTest {
  private static final Resilience.Policy QUICK =
      new Resilience.Policy(3, Duration.ofMillis(10), Duration.ofMillis(50), 20);
  private static AwsClients closedPort;
  private static S3Client deadS3;
  private static SfnClient deadSfn;

  @BeforeAll
  static void clients() {
    closedPort = new AwsClients(new AwsSettings("us-east-1", URI.create("http://127.0.0.1:1")));
    deadS3 = closedPort.s3();
    deadSfn = closedPort.stepFunctions();
  }

  @AfterAll
  static void close() {
    deadS3.close();
    deadSfn.close();
  }

  @Test
  void refusedS3ConnectionIsRetriedThenReportedAsStorageTransient() {
    Resilience s3 = new Resilience("s3", QUICK);
    AtomicInteger attempts = new AtomicInteger();
    var e =
        assertThrows(
            Resilience.TransientAwsException.class,
            () ->
                s3.call(
                    "ListObjectsV2",
                    () -> {
                      attempts.incrementAndGet();
                      return deadS3.listObjectsV2(b -> b.bucket("compactor").prefix("deltas/"));
                    }));
    assertEquals(3, attempts.get());
    assertTrue(
        e.getMessage().startsWith("s3 ListObjectsV2: still failing after 3 attempts: "),
        e.getMessage());
    assertInstanceOf(SdkClientException.class, e.getCause());
    assertEquals(ErrorNames.STORAGE_TRANSIENT, ErrorClassifier.classify(e).error());
  }

  @Test
  void refusedStepFunctionsConnectionIsRetriedThenReportedAsStorageTransient() {
    Resilience sfn = new Resilience("states", QUICK);
    AtomicInteger attempts = new AtomicInteger();
    var e =
        assertThrows(
            Resilience.TransientAwsException.class,
            () ->
                sfn.call(
                    "SendTaskHeartbeat",
                    () -> {
                      attempts.incrementAndGet();
                      return deadSfn.sendTaskHeartbeat(b -> b.taskToken("token"));
                    }));
    assertEquals(3, attempts.get());
    assertEquals(ErrorNames.STORAGE_TRANSIENT, ErrorClassifier.classify(e).error());
  }

  @Test
  void breakerOpensAfterRepeatedFailuresAndFailsFast() {
    Resilience s3 =
        new Resilience(
            "s3", new Resilience.Policy(1, Duration.ofMillis(1), Duration.ofMillis(1), 2));
    AtomicInteger attempts = new AtomicInteger();
    for (int i = 0; i < 2; i++) {
      assertThrows(
          Resilience.TransientAwsException.class,
          () ->
              s3.call(
                  "HeadBucket",
                  () -> {
                    attempts.incrementAndGet();
                    return deadS3.headBucket(b -> b.bucket("compactor"));
                  }));
    }
    var open =
        assertThrows(
            Resilience.TransientAwsException.class,
            () ->
                s3.call(
                    "HeadBucket",
                    () -> {
                      attempts.incrementAndGet();
                      return deadS3.headBucket(b -> b.bucket("compactor"));
                    }));
    assertEquals(2, attempts.get(), "the open breaker let a call through");
    assertTrue(
        open.getMessage().endsWith("circuit open after repeated failures"), open.getMessage());
    assertEquals(ErrorNames.STORAGE_TRANSIENT, ErrorClassifier.classify(open).error());
  }

  @Test
  void errorThatWillNotPassGoesThroughOnceAndUnwrapped() {
    try (S3Client s3 = new AwsClients(AwsSettings.localStack()).s3()) {
      Resilience resilience = new Resilience("s3", QUICK);
      AtomicInteger attempts = new AtomicInteger();
      assertThrows(
          NoSuchBucketException.class,
          () ->
              resilience.call(
                  "ListObjectsV2",
                  () -> {
                    attempts.incrementAndGet();
                    return s3.listObjectsV2(b -> b.bucket("no-such-bucket-" + System.nanoTime()));
                  }));
      assertEquals(1, attempts.get());
    }
  }
}
