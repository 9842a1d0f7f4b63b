package com.chromacompactor.cli;

import com.chromacompactor.activity.TaskCancelledException;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.workflow.GarbageCollector;
import com.chromacompactor.workflow.RetentionRules;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code compactor gc}: the retention rules applied to one lineage of a bucket, as the workflow's
 * last step does.
 */
@Command(
    name = "gc",
    mixinStandardHelpOptions = true,
    description = {
      "Deletes what the retention rules no longer keep: published snapshots beyond the newest N that are older than",
      "the minimum age, unpublished ones, consumed deltas and finished plans past the retention, stale claims, and",
      "what crashed runs left. Never latest, the one before it (N >= 2), a running batch's base or snapshot, a delta",
      "that is pending or quarantined. Prints what it deleted, with sizes, and the bytes freed; with --dry-run, what",
      "it would delete, and deletes nothing."
    })
final class GcCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin BucketOptions bucketOptions;

  @Mixin RetentionOptions retention;

  @Option(
      names = "--dry-run",
      description = "Print what would be deleted, with sizes; delete nothing.")
  boolean dryRun;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    RetentionRules rules;
    GarbageCollector collector;
    GarbageCollector.Survey survey;
    try {
      rules = retention.rules();
      BlobStore bucket = bucketOptions.open();
      collector = new GarbageCollector(bucket, bucketOptions.lineage(), rules, Clock.systemUTC());
      out.println(
          "gc of "
              + bucketOptions.describe()
              + ": "
              + rules.describe()
              + (dryRun ? " (dry run: nothing is deleted)" : ""));
      survey = collector.survey();
    } catch (IOException | IllegalArgumentException e) {
      return failed(err, e.getMessage());
    }
    survey.notes().forEach(n -> out.println("note: " + n));
    for (GarbageCollector.Kept k : survey.kept()) {
      out.printf(
          Locale.ROOT,
          "kept %s: %d objects, %,d bytes (%s)%n",
          k.prefix(),
          k.objects(),
          k.bytes(),
          k.reason());
    }
    out.flush();
    if (!dryRun) {
      try {
        collector.delete(survey, GarbageCollector.Checkpoint.NONE);
      } catch (IOException | TaskCancelledException e) {
        return failed(
            err,
            e.getMessage()
                + " (every delete so far leaves each snapshot and delta recognisable: the"
                + " next gc finishes the work)");
      }
    }
    String verb = dryRun ? "would delete" : "deleted";
    for (GarbageCollector.Garbage g : survey.garbage()) {
      out.printf(
          Locale.ROOT,
          "%s %s %s: %d objects, %,d bytes (%s)%n",
          verb,
          g.kind().label(),
          g.prefix(),
          g.objects(),
          g.bytes(),
          g.reason());
    }
    out.printf(
        Locale.ROOT,
        "%s%s %d snapshots, %d deltas, %d plans, %d leftovers: %d objects, %,d bytes %s%n",
        dryRun ? "dry run: " : "",
        verb,
        survey.count(GarbageCollector.Kind.SNAPSHOT),
        survey.count(GarbageCollector.Kind.DELTA),
        survey.count(GarbageCollector.Kind.PLAN),
        survey.count(GarbageCollector.Kind.LEFTOVER),
        survey.objects(),
        survey.bytes(),
        dryRun ? "would be freed; nothing was deleted" : "freed");
    out.printf(
        Locale.ROOT,
        "%s %,d bytes under snapshots/, %,d under deltas/ (%d deltas: %d pending, the oldest"
            + " for %d s; %d quarantined)%n",
        dryRun ? "holds" : "now holds",
        dryRun ? survey.snapshotBytes() : survey.snapshotBytesAfter(),
        dryRun ? survey.deltaBytes() : survey.deltaBytesAfter(),
        survey.deltas() - (dryRun ? 0 : survey.count(GarbageCollector.Kind.DELTA)),
        survey.pendingDeltas(),
        survey.oldestPending().toSeconds(),
        survey.quarantinedDeltas());
    out.flush();
    return 0;
  }

  private static int failed(PrintWriter err, String message) {
    err.println("error: " + message);
    err.flush();
    return CompactorCli.EXIT_FAILED;
  }
}
