package com.chromacompactor.cli;

import com.chromacompactor.workflow.RetentionRules;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The retention rules, the same on {@code gc} and on {@code run} (which collects garbage as its
 * last step), with the worker's environment variables as defaults: {@code @Mixin RetentionOptions
 * retention}.
 */
final class RetentionOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  private int keepSnapshots;

  /** Checked as it is parsed, so that 0 is an option error (one line, exit 2), not a failed run. */
  @Option(
      names = "--keep-snapshots",
      paramLabel = "N",
      defaultValue = "${env:COMPACTOR_GC_KEEP_SNAPSHOTS:-3}",
      description =
          "Published snapshots kept: latest and the ones it was published over, newest first (at least 1)."
              + " Default: COMPACTOR_GC_KEEP_SNAPSHOTS, else 3.")
  void keepSnapshots(int n) {
    if (n < 1) {
      throw new ParameterException(
          spec.commandLine(), "--keep-snapshots must be at least 1 (latest), found " + n);
    }
    keepSnapshots = n;
  }

  @Option(
      names = "--min-snapshot-age",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "${env:COMPACTOR_GC_MIN_SNAPSHOT_AGE:-24h}",
      description =
          "No snapshot younger than this is deleted: 0s, 30m, 24h, 7d. Default:"
              + " COMPACTOR_GC_MIN_SNAPSHOT_AGE, else 24h.")
  Duration minSnapshotAge;

  @Option(
      names = "--delta-retention",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "${env:COMPACTOR_GC_DELTA_RETENTION:-7d}",
      description =
          "Consumed deltas (with their processed markers) and finished plans are deleted this long after"
              + " they were consumed or finished. Default: COMPACTOR_GC_DELTA_RETENTION, else 7d.")
  Duration deltaRetention;

  /**
   * @throws IllegalArgumentException for a rule out of range (fewer than 1 snapshot kept)
   */
  RetentionRules rules() {
    return new RetentionRules(keepSnapshots, minSnapshotAge, deltaRetention);
  }
}
