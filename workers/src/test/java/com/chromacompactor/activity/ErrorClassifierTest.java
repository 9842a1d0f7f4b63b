package com.chromacompactor.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.aws.Resilience;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.cli.LocalDeltaFolders;
import com.chromacompactor.invariant.InvariantViolation;
import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.snapshot.QueueSnapshotWriter;
import com.chromacompactor.snapshot.SnapshotWriter;
import com.chromacompactor.statemachine.contract.ChunkTask;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.TaskError;
import com.chromacompactor.storage.TransientStorageException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

class ErrorClassifierTest {
  /** The README's sample deltas, made by chromadb 1.5.9 (4 deltas, 200 records, 166 live). */
  private static final Path EXAMPLE_DELTAS = Path.of("../examples/deltas");

  private static final CorruptDeltaException CORRUPT =
      new CorruptDeltaException(
          Path.of("deltas/b"),
          DeltaProblem.CORRUPT_HNSW,
          "data_level0.bin: expected 6284 bytes per element, found 6280");

  @Test
  void storageAndAwsFailuresThatMayPassAreTransient() {
    assertClassified(
        ErrorNames.STORAGE_TRANSIENT,
        new Resilience.TransientAwsException(
            "s3 GetObject: still failing", SdkClientException.create("Connection refused")),
        SdkClientException.create("Unable to execute HTTP request: Read timed out"),
        throttled(),
        serviceError(500, "InternalError"),
        new TransientStorageException("intermediate/b/chunk-2/: files differ from its manifest"),
        // Found among the causes: the merge names the delta it was reading when the download
        // failed.
        new IOException(
            "while merging delta deltas/d-7: download failed",
            new Resilience.TransientAwsException(
                "s3 get deltas/d-7/chroma.sqlite3: still failing after 6 attempts",
                SdkClientException.create("reset"))),
        new UncheckedIOException(
            new TransientStorageException("chunk-0: files differ from its manifest")));
  }

  @Test
  void anIoExceptionThatIsNotTheStorageLayersIsNotTransient() {
    assertClassified(
        ErrorNames.UNEXPECTED,
        new IOException("No space left on device"),
        new IOException(
            "committing to the snapshot: [SQLITE_CORRUPT] The database disk image is malformed",
            new SQLException("[SQLITE_CORRUPT]")),
        new UncheckedIOException(new SocketTimeoutException("read timed out")),
        new UncheckedIOException(
            "reading the queue", new IOException("unexpected end of the pickle")),
        new IOException("vector spill truncated at slot 12"),
        // An AWS answer that will not change on a second try.
        NoSuchKeyException.builder()
            .message("The specified key does not exist.")
            .statusCode(404)
            .build(),
        serviceError(403, "AccessDenied"),
        new NullPointerException("plan"),
        new StackOverflowError());
  }

  @Test
  void aBrokenInvariantIsNamedAndNotRetriedWhereverItIsFound() {
    InvariantViolation check =
        new InvariantViolation(
            "snapshot check failed: 165 records written, but the merge counted 166 live records");
    assertClassified(
        ErrorNames.INVARIANT_VIOLATION,
        check,
        new IOException("while merging delta deltas/d-7: " + check.getMessage(), check),
        new InvariantViolation(
            "snapshot snapshots/b-1/ failed its check and is not uploaded: [words: 3 records"
                + " without an index element]"));
    assertFalse(ErrorNames.RETRYABLE.contains(ErrorNames.INVARIANT_VIOLATION));
    assertEquals(check.getMessage(), ErrorClassifier.classify(check).cause());
  }

  @Test
  void aCompactionWhoseWriterLosesARecordFailsItsCheckAsAnInvariantViolation(@TempDir Path tmp)
      throws Exception {
    // The real writer, except that the first insert is dropped: the merge counts a record the
    // snapshot lacks.
    AtomicBoolean dropped = new AtomicBoolean();
    SnapshotWriter.Factory losing =
        (dir, scratch) -> {
          SnapshotWriter real = QueueSnapshotWriter.create(dir, scratch);
          return (SnapshotWriter)
              Proxy.newProxyInstance(
                  SnapshotWriter.class.getClassLoader(),
                  new Class<?>[] {SnapshotWriter.class},
                  (proxy, method, args) -> {
                    if (method.getName().equals("insert") && dropped.compareAndSet(false, true)) {
                      return null;
                    }
                    try {
                      return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                  });
        };
    Path out = tmp.resolve("snapshot");
    InvariantViolation e =
        assertThrows(
            InvariantViolation.class,
            () ->
                new Compaction(CompactionListener.NONE, losing)
                    .run(LocalDeltaFolders.expand(List.of(EXAMPLE_DELTAS)), out));
    assertTrue(dropped.get());
    assertTrue(
        e.getMessage()
            .startsWith("snapshot check failed: 165 records written, but the merge counted 166"),
        e.getMessage());
    assertEquals(ErrorNames.INVARIANT_VIOLATION, ErrorClassifier.classify(e).error());
    assertFalse(Files.exists(out), "nothing is left at the destination");
  }

  @Test
  void aBadDeltaIsCorruptWhereverItIsFoundAndNeverTransient() {
    assertClassified(
        ErrorNames.CORRUPT_DELTA,
        new TaskFailure(ErrorNames.CORRUPT_DELTA, "deltas/b/: bad"),
        CORRUPT,
        new UncheckedIOException(CORRUPT),
        new RuntimeException("merge failed", CORRUPT),
        // A corrupt base or dimension clash is the delta's problem even when the storage layer
        // wraps it.
        new IOException("while merging delta deltas/b", CORRUPT));
  }

  @Test
  void contractAndInterruptionsKeepTheirNames() throws Exception {
    assertClassified(
        ErrorNames.PUBLISH_CONFLICT, new TaskFailure(ErrorNames.PUBLISH_CONFLICT, "latest moved"));
    assertClassified(
        ErrorNames.INVALID_INPUT,
        jacksonError(),
        new IllegalArgumentException("chunkIndex must be >= 0"));
    assertClassified(ErrorNames.WORKER_INTERRUPTED, new InterruptedException("sleep interrupted"));
  }

  @Test
  void retryableNamesAreExactlyTheFailuresThatMayPass() {
    for (String name : new String[] {ErrorNames.STORAGE_TRANSIENT, ErrorNames.WORKER_INTERRUPTED}) {
      assertTrue(ErrorNames.RETRYABLE.contains(name), name);
    }
    for (String name :
        new String[] {
          ErrorNames.CORRUPT_DELTA,
          ErrorNames.INVALID_INPUT,
          ErrorNames.UNEXPECTED,
          ErrorNames.INVARIANT_VIOLATION
        }) {
      assertFalse(ErrorNames.RETRYABLE.contains(name), name);
    }
  }

  @Test
  void corruptDeltaCauseIsTheExceptionMessageThatNamesTheDelta() {
    TaskError e = ErrorClassifier.classify(new RuntimeException("wrapped", CORRUPT));
    assertEquals(
        "delta deltas/b: CORRUPT_HNSW: data_level0.bin: expected 6284 bytes per element, found 6280",
        e.cause());
  }

  @Test
  void taskFailureCauseIsItsMessageThenItsCauses() {
    TaskError e =
        ErrorClassifier.classify(
            new TaskFailure(
                ErrorNames.STORAGE_TRANSIENT,
                "upload of chunk-2 failed",
                new IOException("connection reset")));
    assertEquals(
        "upload of chunk-2 failed (caused by java.io.IOException: connection reset)", e.cause());
  }

  @Test
  void repeatedInnerMessagesAreNotRepeatedInTheCause() {
    SdkClientException inner = SdkClientException.create("Connection refused");
    TaskError e =
        ErrorClassifier.classify(
            new Resilience.TransientAwsException(
                "s3 GetObject: still failing after 6 attempts: Connection refused", inner));
    assertEquals(
        "com.chromacompactor.aws.Resilience$TransientAwsException: s3 GetObject: still failing after 6"
            + " attempts: Connection refused",
        e.cause());
  }

  @Test
  void unexpectedFailureCauseNamesTheTypeAndWhereItWasThrown() {
    TaskError e = ErrorClassifier.classify(new NullPointerException("plan is null"));
    assertTrue(
        e.cause()
            .startsWith(
                "java.lang.NullPointerException: plan is null at "
                    + ErrorClassifierTest.class.getName()
                    + "."),
        e.cause());
  }

  @Test
  void taskInputRefusesTextThatIsNotTheContract() {
    TaskFailure f =
        assertThrows(
            TaskFailure.class, () -> TaskInput.read("{\"chunkIndex\": [1]}", ChunkTask.class));
    assertEquals(ErrorNames.INVALID_INPUT, f.errorName());
    assertTrue(f.getMessage().startsWith("input is not a valid ChunkTask: "), f.getMessage());
    assertEquals(
        ErrorNames.INVALID_INPUT,
        assertThrows(TaskFailure.class, () -> TaskInput.read(" ", ChunkTask.class)).errorName());
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

  private static void assertClassified(String expected, Throwable... thrown) {
    for (Throwable t : thrown) {
      assertEquals(expected, ErrorClassifier.classify(t).error(), () -> "for " + t);
    }
  }

  private static S3Exception serviceError(int status, String code) {
    return (S3Exception)
        S3Exception.builder()
            .statusCode(status)
            .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code).build())
            .build();
  }

  private static S3Exception throttled() {
    return (S3Exception)
        S3Exception.builder()
            .statusCode(503)
            .awsErrorDetails(
                AwsErrorDetails.builder()
                    .errorCode("SlowDown")
                    .errorMessage("Please reduce your request rate")
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
