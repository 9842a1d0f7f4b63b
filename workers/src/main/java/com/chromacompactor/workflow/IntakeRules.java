package com.chromacompactor.workflow;

import com.chromacompactor.statemachine.contract.DurationText;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import java.time.Duration;
import java.util.Map;

/**
 * How Plan tells a delta that is complete from one that a producer is still uploading.
 *
 * @param settle an unmarked delta is taken only once its newest object is at least this old
 * @param incompleteUploadLimit a delta still incomplete this long after its first object arrived is
 *     quarantined as {@code INCOMPLETE_UPLOAD}
 */
public record IntakeRules(Duration settle, Duration incompleteUploadLimit) {
  public static final Duration DEFAULT_SETTLE = Duration.ofMinutes(10);
  public static final Duration DEFAULT_INCOMPLETE_UPLOAD_LIMIT = Duration.ofHours(24);

  public IntakeRules {
    if (settle == null || settle.isNegative()) {
      throw new IllegalArgumentException("the settle window must be 0 or more, got " + settle);
    }
    if (incompleteUploadLimit == null || incompleteUploadLimit.compareTo(settle) < 0) {
      throw new IllegalArgumentException(
          "the incomplete-upload limit ("
              + incompleteUploadLimit
              + ") must be at least the settle window ("
              + settle
              + ")");
    }
  }

  public static IntakeRules defaults() {
    return new IntakeRules(DEFAULT_SETTLE, DEFAULT_INCOMPLETE_UPLOAD_LIMIT);
  }

  /**
   * From {@link WorkerEnvironment#SETTLE} and {@link WorkerEnvironment#INCOMPLETE_UPLOAD_LIMIT},
   * else the defaults.
   */
  public static IntakeRules fromEnvironment(Map<String, String> env) {
    return new IntakeRules(
        duration(env, WorkerEnvironment.SETTLE, DEFAULT_SETTLE),
        duration(env, WorkerEnvironment.INCOMPLETE_UPLOAD_LIMIT, DEFAULT_INCOMPLETE_UPLOAD_LIMIT));
  }

  private static Duration duration(Map<String, String> env, String name, Duration fallback) {
    String v = env.get(name);
    return v == null || v.isBlank() ? fallback : DurationText.parse(name, v);
  }

  public IntakeRules withSettle(Duration settle) {
    return new IntakeRules(settle, incompleteUploadLimit);
  }
}
