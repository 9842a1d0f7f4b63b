package com.chromacompactor.workflow;

import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.statemachine.contract.CompactionMode;
import java.nio.file.Path;

/** Turns a merge's per-delta callbacks into task progress and metrics. */
final class MergeProgress {
  private final StepMetrics metrics;

  MergeProgress(StepMetrics metrics) {
    this.metrics = metrics;
  }

  CompactionListener listener(TaskContext context, String batchId, String collection, BlobDeltaFeed feed) {
    long[] last = {System.nanoTime()};
    return (done, total, delta, recordsRead) -> {
      long now = System.nanoTime();
      metrics.deltaMerged(batchId, collection, (now - last[0]) / 1_000_000);
      last[0] = now;
      String key = feed.keyOf(delta);
      context.progress("merged " + done + "/" + total + " (" + (key == null ? delta : key) + "), "
          + recordsRead + " records read");
    };
  }

  void chunkDone(TaskContext context, String batchId, String collection, CompactionMode mode, CompactionSummary s) {
    metrics.mergeDone(batchId, collection, mode, s);
    context.progress(String.format("chunk of %s: %d deltas, %d records read, %d written in %.1f s", collection,
        s.deltas(), s.recordsRead(), s.recordsWritten(), s.seconds()));
  }

  static String describe(Path p) {
    return p.getFileName().toString();
  }
}
