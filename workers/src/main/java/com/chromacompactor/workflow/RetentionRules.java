package com.chromacompactor.workflow;

import com.chromacompactor.statemachine.contract.DurationText;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * What the garbage collection keeps ({@link GarbageCollector}).
 *
 * @param keepSnapshots published snapshots kept, {@code latest} and those it was published over,
 *     newest first (at least 1: {@code latest} itself)
 * @param minSnapshotAge no snapshot younger than this is deleted, whatever its place
 * @param deltaRetention a consumed delta (with its processed markers) and a finished plan are
 *     deleted this long after they were consumed or finished
 */
public record RetentionRules(int keepSnapshots, Duration minSnapshotAge, Duration deltaRetention) {
  public static final int DEFAULT_KEEP_SNAPSHOTS = 3;
  public static final Duration DEFAULT_MIN_SNAPSHOT_AGE = Duration.ofHours(24);
  public static final Duration DEFAULT_DELTA_RETENTION = Duration.ofDays(7);

  public RetentionRules {
    if (keepSnapshots < 1) {
      throw new IllegalArgumentException(
          "the snapshots kept must be at least 1 (latest), got " + keepSnapshots);
    }
    if (minSnapshotAge == null || minSnapshotAge.isNegative()) {
      throw new IllegalArgumentException(
          "the minimum snapshot age must be 0 or more, got " + minSnapshotAge);
    }
    if (deltaRetention == null || deltaRetention.isNegative()) {
      throw new IllegalArgumentException(
          "the delta retention must be 0 or more, got " + deltaRetention);
    }
  }

  /** Keep 3 snapshots, none younger than 24 h; consumed deltas and finished plans for 7 days. */
  public static RetentionRules defaults() {
    return new RetentionRules(
        DEFAULT_KEEP_SNAPSHOTS, DEFAULT_MIN_SNAPSHOT_AGE, DEFAULT_DELTA_RETENTION);
  }

  /**
   * From {@link WorkerEnvironment#GC_KEEP_SNAPSHOTS} and the other two GC variables, else the
   * defaults.
   */
  public static RetentionRules fromEnvironment(Map<String, String> env) {
    String keep = env.get(WorkerEnvironment.GC_KEEP_SNAPSHOTS);
    int n;
    try {
      n = keep == null || keep.isBlank() ? DEFAULT_KEEP_SNAPSHOTS : Integer.parseInt(keep.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          WorkerEnvironment.GC_KEEP_SNAPSHOTS + " must be a whole number, got '" + keep + "'", e);
    }
    return new RetentionRules(
        n,
        duration(env, WorkerEnvironment.GC_MIN_SNAPSHOT_AGE, DEFAULT_MIN_SNAPSHOT_AGE),
        duration(env, WorkerEnvironment.GC_DELTA_RETENTION, DEFAULT_DELTA_RETENTION));
  }

  private static Duration duration(Map<String, String> env, String name, Duration fallback) {
    String v = env.get(name);
    return v == null || v.isBlank() ? fallback : DurationText.parse(name, v);
  }

  /** One line for a person: "keep 3 published snapshots, none younger than 24h; ... for 7d". */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "keep %d published snapshot%s, none younger than %s; consumed deltas and"
            + " finished plans for %s",
        keepSnapshots,
        keepSnapshots == 1 ? "" : "s",
        DurationText.format(minSnapshotAge),
        DurationText.format(deltaRetention));
  }

  /** Whether the collection deletes, or only says what it would delete. */
  public enum Mode {
    DELETE,
    DRY_RUN;

    /** {@link WorkerEnvironment#GC_DRY_RUN}: {@code true} or {@code false} (default). */
    public static Mode fromEnvironment(Map<String, String> env) {
      String v = env.get(WorkerEnvironment.GC_DRY_RUN);
      if (v == null || v.isBlank() || v.trim().equalsIgnoreCase("false")) {
        return DELETE;
      }
      if (v.trim().equalsIgnoreCase("true")) {
        return DRY_RUN;
      }
      throw new IllegalArgumentException(
          WorkerEnvironment.GC_DRY_RUN + " must be true or false, got '" + v + "'");
    }
  }
}
