package com.chromacompactor.activity;

/**
 * An exception as the worker's log shows it: every frame and cause kept, each message clipped to
 * {@value #MAX_MESSAGE_LENGTH} characters as {@link TaskReporter} clips what it sends. A handler's
 * message can be any length (a 40,000-character one made a single log line of that size); the log
 * is read by people.
 */
final class LoggedFailure extends Throwable {
  static final int MAX_MESSAGE_LENGTH = 2_000;
  private static final int MAX_CAUSES = 8;

  private LoggedFailure(Throwable t, int depth) {
    super(
        t.getClass().getName()
            + (t.getMessage() == null
                ? ""
                : ": " + TaskReporter.clip(t.getMessage(), MAX_MESSAGE_LENGTH)),
        t.getCause() == null || depth >= MAX_CAUSES
            ? null
            : new LoggedFailure(t.getCause(), depth + 1),
        false,
        true);
    setStackTrace(t.getStackTrace());
  }

  /** {@code t} with its messages clipped, for a logger. */
  static Throwable of(Throwable t) {
    return new LoggedFailure(t, 0);
  }

  /** The original's type and message, as its own toString would start. */
  @Override
  public String toString() {
    return getMessage();
  }
}
