package com.chromacompactor.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.aws.Resilience;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.statemachine.contract.ChunkTask;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.TaskError;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

class ErrorClassifierTest {
  private static final CorruptDeltaException CORRUPT = new CorruptDeltaException(Path.of("deltas/b"),
      DeltaProblem.CORRUPT_HNSW, "data_level0.bin: expected 6284 bytes per element, found 6280");

  @Test
  void everyKindOfFailureGetsTheNameItsRetryRuleExpects() throws Exception {
    Map<Throwable, String> table = new LinkedHashMap<>();
    table.put(new TaskFailure(ErrorNames.PUBLISH_CONFLICT, "latest moved"), ErrorNames.PUBLISH_CONFLICT);
    table.put(new TaskFailure(ErrorNames.CORRUPT_DELTA, "deltas/b/: bad"), ErrorNames.CORRUPT_DELTA);
    table.put(CORRUPT, ErrorNames.CORRUPT_DELTA);
    table.put(new UncheckedIOException(CORRUPT), ErrorNames.CORRUPT_DELTA);
    table.put(new RuntimeException("merge failed", CORRUPT), ErrorNames.CORRUPT_DELTA);
    table.put(new Resilience.TransientAwsException("s3 GetObject: still failing", SdkClientException.create(
        "Connection refused")), ErrorNames.STORAGE_TRANSIENT);
    table.put(SdkClientException.create("Unable to execute HTTP request: Read timed out"),
        ErrorNames.STORAGE_TRANSIENT);
    table.put(throttled(), ErrorNames.STORAGE_TRANSIENT);
    table.put(new UncheckedIOException(new SocketTimeoutException("read timed out")), ErrorNames.STORAGE_TRANSIENT);
    table.put(new IOException("No space left on device"), ErrorNames.STORAGE_TRANSIENT);
    table.put(new OutOfMemoryError("Java heap space"), ErrorNames.WORKER_OUT_OF_MEMORY);
    table.put(jacksonError(), ErrorNames.INVALID_INPUT);
    table.put(new IllegalArgumentException("chunkIndex must be >= 0"), ErrorNames.INVALID_INPUT);
    table.put(new InterruptedException("sleep interrupted"), ErrorNames.WORKER_INTERRUPTED);
    table.put(NoSuchKeyException.builder().message("The specified key does not exist.").statusCode(404).build(),
        ErrorNames.UNEXPECTED);
    table.put(new NullPointerException("plan"), ErrorNames.UNEXPECTED);
    table.put(new StackOverflowError(), ErrorNames.UNEXPECTED);
    table.forEach((thrown, expected) ->
        assertEquals(expected, ErrorClassifier.classify(thrown).error(), () -> "for " + thrown));
  }

  @Test
  void retryableNamesAreExactlyTheFailuresThatMayPass() {
    for (String name : new String[] {ErrorNames.STORAGE_TRANSIENT, ErrorNames.WORKER_OUT_OF_MEMORY,
        ErrorNames.WORKER_INTERRUPTED}) {
      assertTrue(ErrorNames.RETRYABLE.contains(name), name);
    }
    for (String name : new String[] {ErrorNames.CORRUPT_DELTA, ErrorNames.INVALID_INPUT, ErrorNames.UNEXPECTED}) {
      assertTrue(!ErrorNames.RETRYABLE.contains(name), name);
    }
  }

  @Test
  void corruptDeltaCauseIsTheExceptionMessageThatNamesTheDelta() {
    TaskError e = ErrorClassifier.classify(new RuntimeException("wrapped", CORRUPT));
    assertEquals("delta deltas/b: CORRUPT_HNSW: data_level0.bin: expected 6284 bytes per element, found 6280",
        e.cause());
  }

  @Test
  void taskFailureCauseIsItsMessageThenItsCauses() {
    TaskError e = ErrorClassifier.classify(new TaskFailure(ErrorNames.STORAGE_TRANSIENT, "upload of chunk-2 failed",
        new IOException("connection reset")));
    assertEquals("upload of chunk-2 failed (caused by java.io.IOException: connection reset)", e.cause());
  }

  @Test
  void repeatedInnerMessagesAreNotRepeatedInTheCause() {
    SdkClientException inner = SdkClientException.create("Connection refused");
    TaskError e = ErrorClassifier.classify(new Resilience.TransientAwsException(
        "s3 GetObject: still failing after 6 attempts: Connection refused", inner));
    assertEquals("com.chromacompactor.aws.Resilience$TransientAwsException: s3 GetObject: still failing after 6"
        + " attempts: Connection refused", e.cause());
  }

  @Test
  void unexpectedFailureCauseNamesTheTypeAndWhereItWasThrown() {
    TaskError e = ErrorClassifier.classify(new NullPointerException("plan is null"));
    assertTrue(e.cause().startsWith("java.lang.NullPointerException: plan is null at "
        + ErrorClassifierTest.class.getName() + "."), e.cause());
  }

  @Test
  void outOfMemoryCauseSaysSoAndGivesTheHeap() {
    TaskError e = ErrorClassifier.classify(new OutOfMemoryError("Java heap space"));
    assertTrue(e.cause().matches("out of memory: Java heap space \\(max heap \\d+ MB\\); .*"), e.cause());
  }

  @Test
  void taskInputRefusesTextThatIsNotTheContract() {
    TaskFailure f = org.junit.jupiter.api.Assertions.assertThrows(TaskFailure.class,
        () -> TaskInput.read("{\"chunkIndex\": [1]}", ChunkTask.class));
    assertEquals(ErrorNames.INVALID_INPUT, f.errorName());
    assertTrue(f.getMessage().startsWith("input is not a valid ChunkTask: "), f.getMessage());
    assertEquals(ErrorNames.INVALID_INPUT,
        org.junit.jupiter.api.Assertions.assertThrows(TaskFailure.class, () -> TaskInput.read(" ", ChunkTask.class))
            .errorName());
  }

  @Test
  void clippingKeepsTheApiLimitsAndNeverSplitsACharacter() {
    assertEquals("short", TaskReporter.clip("short", TaskReporter.MAX_ERROR_LENGTH));
    String clipped = TaskReporter.clip("e".repeat(300), TaskReporter.MAX_ERROR_LENGTH);
    assertEquals(TaskReporter.MAX_ERROR_LENGTH, clipped.length());
    assertTrue(clipped.endsWith("…[clipped]"));
    String emoji = "\uD83D\uDE00".repeat(20_000); // 40,000 chars of surrogate pairs
    String cause = TaskReporter.clip(emoji, TaskReporter.MAX_CAUSE_LENGTH);
    assertTrue(cause.length() <= TaskReporter.MAX_CAUSE_LENGTH);
    String kept = cause.substring(0, cause.indexOf(" …[clipped]"));
    assertEquals(0, kept.length() % 2, "a surrogate pair was split");
  }

  private static S3Exception throttled() {
    return (S3Exception) S3Exception.builder().statusCode(503)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode("SlowDown").errorMessage("Please reduce your request rate")
            .build())
        .build();
  }

  private static Exception jacksonError() {
    try {
      new ObjectMapper().readValue("{\"chunkIndex\": \"two\"}", ChunkTask.class);
      throw new AssertionError("parsed");
    } catch (Exception e) {
      return e;
    }
  }
}
