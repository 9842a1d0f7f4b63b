package com.chromacompactor.merge;

import java.io.IOException;

/**
 * A delta that is not all there yet: a file its commit marker lists is missing, or differs from the
 * marker in size or SHA-256 once downloaded. It is not a bad delta: a producer may still be
 * uploading it. The compaction leaves it out without a trace, whatever its bad-delta policy, and
 * lists it as deferred; the workflow keeps it pending until the incomplete-upload limit.
 */
public final class DeltaNotReadyException extends IOException {
  private final String delta;
  private final String detail;

  public DeltaNotReadyException(String delta, String detail) {
    super("delta " + delta + " is not complete yet: " + detail);
    this.delta = delta;
    this.detail = detail;
  }

  public String delta() {
    return delta;
  }

  /** What is missing or differs. */
  public String detail() {
    return detail;
  }
}
