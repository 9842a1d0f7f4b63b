package com.chromacompactor.audit;

import java.util.List;

/**
 * What {@link SnapshotAudit} found: counts of each kind of difference and the first few ids of
 * each, as {@code collection/id}.
 */
public record AuditReport(
    long expected,
    long actual,
    long missing,
    long extra,
    long differing,
    List<String> firstMissing,
    List<String> firstExtra,
    List<String> firstDiffering) {

  public static final int SHOWN = 10;

  public boolean intact() {
    return missing == 0 && extra == 0 && differing == 0;
  }

  public String describe() {
    if (intact()) {
      return "intact: " + actual + " records, exactly what the deltas say";
    }
    return "NOT intact: expected "
        + expected
        + " records, found "
        + actual
        + "; "
        + missing
        + " missing "
        + firstMissing
        + ", "
        + extra
        + " extra "
        + firstExtra
        + ", "
        + differing
        + " differing "
        + firstDiffering;
  }
}
