package com.chromacompactor.workflow;

import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.metrics.TaskMetrics;
import com.chromacompactor.statemachine.contract.CompactionMode;
import java.time.Duration;

/** Turns a merge's per-delta callbacks into task progress and the task's metrics. */
final class MergeProgress {
  private MergeProgress() {}

  /** Metrics tagged with the batch and, when the merge is of one collection, the collection. */
  static TaskMetrics metrics(TaskContext context, String batchId, String collection) {
    TaskMetrics m = context.metrics().batch(batchId);
    return collection == null ? m : m.collection(collection);
  }

  static CompactionListener listener(TaskContext context, TaskMetrics metrics, BlobDeltaFeed feed) {
    long[] last = {System.nanoTime(), 0};
    return (done, total, delta, recordsRead) -> {
      long now = System.nanoTime();
      metrics.deltaProcessed(Duration.ofNanos(now - last[0]), recordsRead - last[1]);
      last[0] = now;
      last[1] = recordsRead;
      String key = feed.keyOf(delta);
      context.progress("merged " + done + "/" + total + " (" + (key == null ? delta : key) + "), "
          + recordsRead + " records read");
    };
  }

  static void mergeDone(TaskContext context, TaskMetrics metrics, CompactionMode mode, String what,
      CompactionSummary s) {
    metrics.mode(mode);
    metrics.embeddingsPerSecond(s.recordsRead(), Duration.ofMillis(Math.max(1, (long) (s.seconds() * 1000))));
    context.progress(String.format("%s: %d inputs, %d records read, %d written in %.1f s", what, s.deltas(),
        s.recordsRead(), s.recordsWritten(), s.seconds()));
  }
}
