package com.chromacompactor.activity;

/**
 * A failure with the error name the state machine matches on (one of {@code ErrorNames}). The
 * message becomes the failure's cause.
 */
public class TaskFailure extends Exception {
  private final String errorName;

  public TaskFailure(String errorName, String message) {
    this(errorName, message, null);
  }

  public TaskFailure(String errorName, String message, Throwable cause) {
    super(message, cause);
    this.errorName = errorName;
  }

  public String errorName() {
    return errorName;
  }
}
