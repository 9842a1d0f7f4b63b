package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs one step's handler in this JVM, as a worker would, with a fresh work folder under {@code
 * tmp}.
 */
final class InProcessTask {
  private InProcessTask() {}

  static String run(
      Map<WorkflowStep, ActivityHandler> steps, WorkflowStep step, String input, Path tmp)
      throws Exception {
    Path work = Files.createTempDirectory(tmp, "task-");
    return steps
        .get(step)
        .handle(
            input,
            new TaskContext() {
              @Override
              public Path workDir() {
                return work;
              }

              @Override
              public void progress(String message) {}

              @Override
              public void checkCancelled() {}
            });
  }
}
