package com.chromacompactor.workflow;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;

/**
 * The workflow step that quarantined a delta, as its quarantine record names it ({@code "Plan"},
 * ...).
 */
public enum QuarantineStep {
  /**
   * Before any merge: the commit marker, the upload's completeness, or the census of its sqlite
   * file.
   */
  PLAN("Plan"),
  /**
   * While merging its chunk: what only a full read finds (HNSW files, vectors, queue rows, hashes).
   */
  COMPACT_CHUNK("CompactChunk");

  private final String stateName;

  QuarantineStep(String stateName) {
    this.stateName = stateName;
  }

  /** The state's name in the workflow, as the record's {@code step} field holds it. */
  @JsonValue
  public String stateName() {
    return stateName;
  }

  @JsonCreator
  static QuarantineStep of(String stateName) {
    return Arrays.stream(values())
        .filter(s -> s.stateName.equals(stateName))
        .findFirst()
        .orElseThrow(
            () -> new IllegalArgumentException("unknown quarantine step '" + stateName + "'"));
  }
}
