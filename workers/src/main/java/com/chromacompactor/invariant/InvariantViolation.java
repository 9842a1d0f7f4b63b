package com.chromacompactor.invariant;

/**
 * A rule the compactor guarantees by construction turned out broken: counts that must agree do not,
 * a folder it just wrote does not read back. It is neither the input's fault (that is a {@code
 * CorruptDeltaException} naming the delta) nor a storage failure that may pass, so it is never
 * retried: the same inputs would break it again. Named as Chroma's compactor names it; like
 * Lucene's {@code CorruptIndexException}, the message says what is wrong where: the resource, what
 * was expected and what was found.
 *
 * <p>This package depends on nothing, so every layer that checks an invariant, the format layer
 * included, may throw it; the activity runtime reports it as {@code Compaction.InvariantViolation}.
 */
public class InvariantViolation extends RuntimeException {
  public InvariantViolation(String message) {
    super(message);
  }

  public InvariantViolation(String message, Throwable cause) {
    super(message, cause);
  }
}
