package com.chromacompactor.activity;

import com.chromacompactor.aws.Resilience;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.TaskError;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place where a handler's exception becomes the error name the state machine's Retry and Catch match, and a
 * cause that names what failed. First match wins:
 *
 * <table>
 *   <caption>classification</caption>
 *   <tr><th>thrown</th><th>error</th><th>retried</th></tr>
 *   <tr><td>{@link TaskFailure}</td><td>its {@link TaskFailure#errorName()}</td><td>per name</td></tr>
 *   <tr><td>{@link OutOfMemoryError}</td><td>{@code Worker.OutOfMemory}</td><td>yes</td></tr>
 *   <tr><td>{@link CorruptDeltaException}, also as a cause</td><td>{@code Chroma.CorruptDelta}</td><td>no</td></tr>
 *   <tr><td>Jackson's {@link JsonProcessingException}, {@link IllegalArgumentException}</td>
 *       <td>{@code Contract.InvalidInput}</td><td>no</td></tr>
 *   <tr><td>{@link Resilience.TransientAwsException} or another transient AWS failure, also as a cause;
 *       any other {@link IOException}</td><td>{@code Storage.Transient}</td><td>yes</td></tr>
 *   <tr><td>{@link InterruptedException}</td><td>{@code Worker.Interrupted}</td><td>yes</td></tr>
 *   <tr><td>anything else</td><td>{@code Worker.Unexpected}</td><td>no</td></tr>
 * </table>
 *
 * <p>The cause is not clipped here; {@link TaskReporter} clips it to the API's limit.
 */
public final class ErrorClassifier {
  /** How many causes of a chain are searched and described. */
  private static final int MAX_CHAIN = 8;

  private ErrorClassifier() {
  }

  /** The error name and cause to send for a task that threw {@code t}. */
  public static TaskError classify(Throwable t) {
    if (t instanceof TaskFailure f) {
      return new TaskError(f.errorName(), describe(f, false));
    }
    if (t instanceof OutOfMemoryError) {
      Runtime rt = Runtime.getRuntime();
      return new TaskError(ErrorNames.WORKER_OUT_OF_MEMORY, "out of memory: " + t.getMessage() + " (max heap "
          + (rt.maxMemory() >> 20) + " MB); another worker or a retry may fit");
    }
    CorruptDeltaException corrupt = find(t, CorruptDeltaException.class);
    if (corrupt != null) {
      return new TaskError(ErrorNames.CORRUPT_DELTA, corrupt.getMessage());
    }
    if (t instanceof JsonProcessingException || t instanceof IllegalArgumentException) {
      return new TaskError(ErrorNames.INVALID_INPUT, describe(t, true));
    }
    if (isTransient(t)) {
      return new TaskError(ErrorNames.STORAGE_TRANSIENT, describe(t, true));
    }
    if (t instanceof InterruptedException) {
      return new TaskError(ErrorNames.WORKER_INTERRUPTED, describe(t, true));
    }
    return new TaskError(ErrorNames.UNEXPECTED, describe(t, true) + where(t));
  }

  private static boolean isTransient(Throwable t) {
    if (t instanceof IOException) {
      return true; // reading or writing a file or a stream; CorruptDeltaException and Jackson's were taken above
    }
    int depth = 0;
    for (Throwable c = t; c != null && depth < MAX_CHAIN; c = c.getCause(), depth++) {
      if (c instanceof Resilience.TransientAwsException || Resilience.isTransient(c)) {
        return true;
      }
    }
    return false;
  }

  /** "message (caused by Type: message; …)"; with the type of the first exception when {@code withType}. */
  static String describe(Throwable t, boolean withType) {
    String message = t.getMessage();
    String first = message == null ? t.getClass().getName()
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

  private static <T extends Throwable> T find(Throwable t, Class<T> type) {
    int depth = 0;
    for (Throwable c = t; c != null && depth < MAX_CHAIN; c = c.getCause(), depth++) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }
}
