package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.metrics.TaskMetrics;
import com.chromacompactor.statemachine.contract.CollectGarbageInput;
import com.chromacompactor.statemachine.contract.CollectGarbageOutput;
import com.chromacompactor.statemachine.contract.MetricNames;
import com.chromacompactor.storage.BlobStore;
import java.time.Clock;
import java.util.Locale;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/**
 * CollectGarbage, the workflow's last step: the {@link GarbageCollector} of the run's lineage with
 * the deployment's {@link RetentionRules}, or only its report in {@link
 * RetentionRules.Mode#DRY_RUN}. It publishes the lineage's bytes under {@code snapshots/} and
 * {@code deltas/}, its pending deltas and the oldest one's age, which the dashboard shows. Retried
 * as any step; a failure after the retries fails no batch (the state machine catches it).
 */
final class GcStep implements ActivityHandler {
  private final BlobStore bucket;
  private final RetentionRules rules;
  private final RetentionRules.Mode mode;
  private final Clock clock;

  GcStep(BlobStore bucket, RetentionRules rules, RetentionRules.Mode mode, Clock clock) {
    this.bucket = bucket;
    this.rules = rules;
    this.mode = mode;
    this.clock = clock;
  }

  @Override
  public String handle(String inputJson, TaskContext context) throws Exception {
    CollectGarbageInput input = ContractJson.input(inputJson, CollectGarbageInput.class);
    GarbageCollector collector = new GarbageCollector(bucket, input.lineage(), rules, clock);
    context.progress(rules.describe() + (mode == RetentionRules.Mode.DRY_RUN ? " (dry run)" : ""));
    GarbageCollector.Survey survey = collector.survey();
    survey.notes().forEach(context::progress);
    String verb = mode == RetentionRules.Mode.DRY_RUN ? "would delete " : "deleting ";
    for (GarbageCollector.Garbage g : survey.garbage()) {
      context.progress(
          verb
              + g.kind().label()
              + " "
              + g.prefix()
              + ": "
              + g.objects()
              + " objects, "
              + g.bytes()
              + " bytes ("
              + g.reason()
              + ")");
    }
    if (mode == RetentionRules.Mode.DELETE) {
      context.checkCancelled();
      collector.delete(survey, (done, total) -> context.checkCancelled());
    }
    boolean dry = mode == RetentionRules.Mode.DRY_RUN;
    long snapshotBytes = dry ? survey.snapshotBytes() : survey.snapshotBytesAfter();
    long deltaBytes = dry ? survey.deltaBytes() : survey.deltaBytesAfter();
    TaskMetrics metrics = context.metrics().lineage(MetricNames.lineageDimension(input.lineage()));
    metrics.put(MetricNames.SNAPSHOT_BYTES, snapshotBytes, StandardUnit.BYTES);
    metrics.put(MetricNames.DELTA_BYTES, deltaBytes, StandardUnit.BYTES);
    metrics.put(MetricNames.PENDING_DELTAS, survey.pendingDeltas(), StandardUnit.COUNT);
    metrics.put(
        MetricNames.OLDEST_PENDING_DELTA_SECONDS,
        survey.oldestPending().toSeconds(),
        StandardUnit.SECONDS);
    metrics.put(MetricNames.GC_BYTES_FREED, dry ? 0 : survey.bytes(), StandardUnit.BYTES);
    context.progress(
        String.format(
            Locale.ROOT,
            "%s %d snapshots, %d deltas, %d plans, %d leftovers: %d objects," + " %d bytes%s",
            dry ? "would delete" : "deleted",
            survey.count(GarbageCollector.Kind.SNAPSHOT),
            survey.count(GarbageCollector.Kind.DELTA),
            survey.count(GarbageCollector.Kind.PLAN),
            survey.count(GarbageCollector.Kind.LEFTOVER),
            survey.objects(),
            survey.bytes(),
            dry ? "" : " freed"));
    return ContractJson.output(
        new CollectGarbageOutput(
            dry,
            survey.count(GarbageCollector.Kind.SNAPSHOT),
            survey.count(GarbageCollector.Kind.DELTA),
            survey.count(GarbageCollector.Kind.PLAN),
            survey.count(GarbageCollector.Kind.LEFTOVER),
            survey.objects(),
            survey.bytes(),
            snapshotBytes,
            deltaBytes,
            survey.pendingDeltas(),
            survey.oldestPending().toSeconds()));
  }
}
