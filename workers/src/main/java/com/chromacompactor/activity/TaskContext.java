package com.chromacompactor.activity;

import com.chromacompactor.metrics.TaskMetrics;
import java.nio.file.Path;

/** What the runtime gives a handler while one task runs. */
public interface TaskContext {
  /** A private folder for this task's files, deleted when the task ends. */
  Path workDir();

  /**
   * Records progress ("delta 7/15, 1,750 records"): logged, and kept as the task's latest status.
   * Cheap enough to call per delta.
   */
  void progress(String message);

  /**
   * Throws {@link TaskCancelledException} once the task no longer belongs to this worker (heartbeat
   * refused: timed out, or the execution ended) or the worker is stopping past its deadline.
   * Handlers call it between units of work (per delta, per upload).
   */
  void checkCancelled() throws TaskCancelledException;

  /**
   * Where the handler reports its figures (per delta, per task) to CloudWatch, tagged with the
   * batch and collection it sets there. The default discards them (contexts made outside a worker:
   * local mode, tests).
   */
  default TaskMetrics metrics() {
    return TaskMetrics.discarding();
  }
}
