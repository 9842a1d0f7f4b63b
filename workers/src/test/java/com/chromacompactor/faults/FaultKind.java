package com.chromacompactor.faults;

/**
 * What the interceptor does to one request. The three faults each come in the variants a
 * caller can meet; {@link #DELAY} only slows a request down, for the random schedules' timing.
 */
public enum FaultKind {
  /**
   * A 503 (S3 {@code SlowDown}, Step Functions {@code ServiceUnavailable}) before the request
   * reaches storage.
   */
  FAIL_BEFORE_503(Family.FAIL_BEFORE),
  /** A connection reset before the request reaches storage. */
  FAIL_BEFORE_RESET(Family.FAIL_BEFORE),
  /** The request succeeds; the caller sees its attempt time out. */
  LOSE_RESPONSE_TIMEOUT(Family.LOSE_RESPONSE_AFTER),
  /** The request succeeds; the caller sees the connection reset. */
  LOSE_RESPONSE_RESET(Family.LOSE_RESPONSE_AFTER),
  /** The request succeeds; the worker process gets SIGKILL before its caller sees the answer. */
  KILL_AFTER(Family.KILL_AFTER),
  /** The request waits before it is sent, then goes through. */
  DELAY(Family.DELAY);

  /** The fault kinds, which the sweep covers at every request. */
  public enum Family {
    FAIL_BEFORE,
    LOSE_RESPONSE_AFTER,
    KILL_AFTER,
    DELAY
  }

  private final Family family;

  FaultKind(Family family) {
    this.family = family;
  }

  public Family family() {
    return family;
  }

  /**
   * The variant the sweep uses for a family at a request: the two variants take turns along the
   * requests.
   */
  public static FaultKind variant(Family family, int requestIndex) {
    boolean even = requestIndex % 2 == 0;
    return switch (family) {
      case FAIL_BEFORE -> even ? FAIL_BEFORE_503 : FAIL_BEFORE_RESET;
      case LOSE_RESPONSE_AFTER -> even ? LOSE_RESPONSE_TIMEOUT : LOSE_RESPONSE_RESET;
      case KILL_AFTER -> KILL_AFTER;
      case DELAY -> DELAY;
    };
  }
}
