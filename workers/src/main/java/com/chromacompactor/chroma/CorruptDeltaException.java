package com.chromacompactor.chroma;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A delta that cannot be compacted. The message always starts with the delta and names the reason,
 * so that an operator can act on the first line alone.
 */
public class CorruptDeltaException extends IOException {
  private final Path delta;
  private final DeltaProblem problem;
  private final String detail;

  public CorruptDeltaException(Path delta, DeltaProblem problem, String detail) {
    this(delta, problem, detail, null);
  }

  public CorruptDeltaException(Path delta, DeltaProblem problem, String detail, Throwable cause) {
    this(delta.toString(), delta, problem, detail, cause);
  }

  private CorruptDeltaException(
      String name, Path delta, DeltaProblem problem, String detail, Throwable cause) {
    super("delta " + name + ": " + problem + ": " + detail, cause);
    this.delta = delta;
    this.problem = problem;
    this.detail = detail;
  }

  /**
   * The same refusal, naming the delta by {@code name} (its bucket key) instead of the local copy
   * that was read.
   */
  public CorruptDeltaException relocated(String name) {
    return new CorruptDeltaException(
        name, Path.of(name), problem, detail.replace(delta.toString(), name), this);
  }

  /** The reason alone, without the delta. */
  public String detail() {
    return detail;
  }

  public Path delta() {
    return delta;
  }

  public DeltaProblem problem() {
    return problem;
  }
}
