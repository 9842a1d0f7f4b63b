package com.chromacompactor.snapshot;

import java.io.IOException;

/**
 * A snapshot writer found its own state inconsistent: counts that must agree do not, a record has no
 * vector, an index was planned otherwise than written. Not a fault of any delta and not transient: a
 * retry would meet the same state, so it is not retried and nothing is published. Named after Chroma's
 * compactor error of the same kind.
 */
public class InvariantViolation extends IOException {
  public InvariantViolation(String detail) {
    super("invariant violated: " + detail);
  }
}
