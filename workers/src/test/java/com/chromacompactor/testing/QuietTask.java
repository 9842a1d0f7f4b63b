package com.chromacompactor.testing;

import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.metrics.TaskMetrics;
import java.nio.file.Path;

/**
 * A task context for a handler run in the test's JVM: its work folder, where its metrics go, no
 * progress shown and never cancelled.
 */
public record QuietTask(Path workDir, TaskMetrics metrics) implements TaskContext {

  /** Metrics discarded, as outside a worker. */
  public static QuietTask in(Path workDir) {
    return new QuietTask(workDir, TaskMetrics.discarding());
  }

  @Override
  public void progress(String message) {}

  @Override
  public void checkCancelled() {}
}
