package com.chromacompactor.workflow;

import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.metrics.TaskMetrics;
import com.chromacompactor.statemachine.contract.CompactionMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/** Turns a merge's per-delta callbacks into task progress and the task's metrics. */
final class MergeProgress {
  private static final Duration INDEX_PROGRESS_INTERVAL = Duration.ofSeconds(5);

  private MergeProgress() {}

  /** Metrics tagged with the batch and, when the merge is of one collection, the collection. */
  static TaskMetrics metrics(TaskContext context, String batchId, String collection) {
    TaskMetrics m = context.metrics().batch(batchId);
    return collection == null ? m : m.collection(collection);
  }

  /**
   * Per delta, its time and records as metrics and a progress line; then the index builds'
   * progress.
   */
  static CompactionListener listener(TaskContext context, TaskMetrics metrics, BlobDeltaFeed feed) {
    return new CompactionListener() {
      private long last = System.nanoTime();
      private long lastRecords;

      @Override
      public void deltaMerged(int done, int total, Path delta, long recordsRead) {
        long now = System.nanoTime();
        metrics.deltaProcessed(Duration.ofNanos(now - last), recordsRead - lastRecords);
        last = now;
        lastRecords = recordsRead;
        String key = feed.keyOf(delta);
        context.progress(
            "done "
                + done
                + "/"
                + total
                + " ("
                + (key == null ? delta : key)
                + "), "
                + recordsRead
                + " records read so far");
      }

      private long lastIndexed;

      /**
       * Every few seconds (it is logged, and builds of a million vectors report a thousand times).
       */
      @Override
      public synchronized void indexed(String collection, long done, long total) {
        long now = System.nanoTime();
        if (done < total && now - lastIndexed < INDEX_PROGRESS_INTERVAL.toNanos()) {
          return;
        }
        lastIndexed = now;
        context.progress(
            "indexing " + collection + ": " + done + "/" + total + " vectors inserted");
      }
    };
  }

  /**
   * The merge's summary line: what was merged ({@code inputs}, in words), then every figure named
   * by what it counts. Records read count an id once per write; distinct ids written is what the
   * output holds.
   */
  static void mergeDone(
      TaskContext context,
      TaskMetrics metrics,
      CompactionMode mode,
      String what,
      String inputs,
      CompactionSummary s) {
    metrics.mode(mode);
    metrics.embeddingsPerSecond(
        s.recordsRead(), Duration.ofMillis(Math.max(1, (long) (s.seconds() * 1000))));
    context.progress(
        String.format(
            Locale.ROOT,
            "%s: %s; %d records read, %d ids overwritten, %d deleted by"
                + " tombstones, %d distinct ids written in %.1f s",
            what,
            inputs,
            s.recordsRead(),
            s.idsOverwritten(),
            s.tombstonesApplied(),
            s.recordsWritten(),
            s.seconds()));
  }
}
