package com.chromacompactor.workflow;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import java.nio.file.Path;

/** Refusals of a delta found from the bucket alone (no local copy), named by the delta's key. */
final class DeltaRefusal {
  private DeltaRefusal() {}

  static CorruptDeltaException of(String deltaKey, DeltaProblem problem, String detail) {
    return new CorruptDeltaException(Path.of(deltaKey), problem, detail).relocated(deltaKey);
  }
}
