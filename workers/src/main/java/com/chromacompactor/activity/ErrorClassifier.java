package com.chromacompactor.activity;

import com.chromacompactor.aws.Resilience;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.invariant.InvariantViolation;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.TaskError;
import com.chromacompactor.storage.TransientStorageException;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The one place where a handler's exception becomes the error name the state machine's Retry and
 * Catch match, and a cause that names what failed. Retries go by cause: only storage and AWS
 * failures are transient. A {@link TaskFailure} carries its own name; otherwise the exception and
 * its causes are searched, outermost first, and the first that says what went wrong decides:
 *
 * <table>
 *   <caption>classification</caption>
 *   <tr><th>thrown, or found among the causes</th><th>error</th><th>retried</th></tr>
 *   <tr><td>{@link TaskFailure} (thrown itself)</td><td>its {@link TaskFailure#errorName()}</td><td>per name</td></tr>
 *   <tr><td>{@link InvariantViolation}</td><td>{@code Compaction.InvariantViolation}</td><td>no</td></tr>
 *   <tr><td>{@link CorruptDeltaException}</td><td>{@code Chroma.CorruptDelta}</td><td>no</td></tr>
 *   <tr><td>{@link Resilience.TransientAwsException} (an S3, Step Functions or CloudWatch call that kept failing),
 *       a transient AWS SDK failure that did not pass through {@link Resilience}, a
 *       {@link TransientStorageException}</td><td>{@code Storage.Transient}</td><td>yes</td></tr>
 *   <tr><td>Jackson's {@link JsonProcessingException}, {@link IllegalArgumentException} (thrown itself)</td>
 *       <td>{@code Contract.InvalidInput}</td><td>no</td></tr>
 *   <tr><td>{@link InterruptedException} (thrown itself)</td><td>{@code Worker.Interrupted}</td><td>yes</td></tr>
 *   <tr><td>anything else, any other {@link java.io.IOException} included (a local file, SQLite, a bad
 *       record)</td><td>{@code Worker.Unexpected}</td><td>no</td></tr>
 * </table>
 *
 * <p>An {@link OutOfMemoryError} never gets here: the worker process exits ({@link
 * ActivityWorker}). The cause is not clipped here; {@link TaskReporter} clips it to the API's
 * limit.
 */
public final class ErrorClassifier {
  /** How many causes of a chain are searched and described. */
  private static final int MAX_CHAIN = 8;

  private ErrorClassifier() {}

  /** The error name and cause to send for a task that threw {@code t}. */
  public static TaskError classify(Throwable t) {
    if (t instanceof TaskFailure f) {
      return new TaskError(f.errorName(), describe(f, false));
    }
    int depth = 0;
    for (Throwable c = t; c != null && depth < MAX_CHAIN; c = c.getCause(), depth++) {
      if (c instanceof InvariantViolation) {
        return new TaskError(ErrorNames.INVARIANT_VIOLATION, describe(t, c != t));
      }
      if (c instanceof CorruptDeltaException corrupt) {
        return new TaskError(ErrorNames.CORRUPT_DELTA, corrupt.getMessage());
      }
      if (isTransientStorageFailure(c)) {
        return new TaskError(ErrorNames.STORAGE_TRANSIENT, describe(t, true));
      }
    }
    if (t instanceof JsonProcessingException || t instanceof IllegalArgumentException) {
      return new TaskError(ErrorNames.INVALID_INPUT, describe(t, true));
    }
    if (t instanceof InterruptedException) {
      return new TaskError(ErrorNames.WORKER_INTERRUPTED, describe(t, true));
    }
    return new TaskError(ErrorNames.UNEXPECTED, describe(t, true) + where(t));
  }

  /**
   * A failure of the bucket or of an AWS service that may pass when the call or transfer is made
   * again.
   */
  private static boolean isTransientStorageFailure(Throwable t) {
    return t instanceof Resilience.TransientAwsException
        || t instanceof TransientStorageException
        || t instanceof SdkException sdk && Resilience.isTransient(sdk);
  }

  /**
   * "message (caused by Type: message; …)"; with the type of the first exception when {@code
   * withType}.
   */
  static String describe(Throwable t, boolean withType) {
    String message = t.getMessage();
    String first =
        message == null
            ? t.getClass().getName()
            : withType ? t.getClass().getName() + ": " + message : message;
    List<String> causes = new ArrayList<>();
    String previous = message;
    int depth = 0;
    for (Throwable c = t.getCause(); c != null && depth < MAX_CHAIN; c = c.getCause(), depth++) {
      String m = c.getMessage();
      if (m != null && previous != null && previous.contains(m)) {
        previous = m;
        continue; // the SDK and Resilience repeat the inner message; once is enough
      }
      causes.add(m == null ? c.getClass().getName() : c.getClass().getName() + ": " + m);
      previous = m;
    }
    return causes.isEmpty() ? first : first + " (caused by " + String.join("; ", causes) + ")";
  }

  private static String where(Throwable t) {
    StackTraceElement[] trace = t.getStackTrace();
    return trace.length == 0 ? "" : " at " + trace[0];
  }
}
