package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.ActivityWorker;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.util.EnumMap;
import java.util.Map;

/**
 * A worker process whose CompactChunk dawdles (heartbeating) before doing its work, so that a test
 * can kill it with SIGKILL while it holds a chunk. Test code only: the real worker is {@code
 * compactor worker}.
 */
public final class SlowChunkWorker {
  static final String DELAY_VARIABLE = "SLOW_CHUNK_MILLIS";

  private SlowChunkWorker() {}

  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    long delay = Long.parseLong(env.getOrDefault(DELAY_VARIABLE, "60000"));
    Map<WorkflowStep, ActivityHandler> handlers = new EnumMap<>(WorkflowSteps.fromEnvironment(env));
    ActivityHandler chunk = handlers.get(WorkflowStep.COMPACT_CHUNK);
    handlers.put(
        WorkflowStep.COMPACT_CHUNK,
        (input, context) -> {
          context.progress("holding the chunk for " + delay + " ms");
          Thread.sleep(delay);
          return chunk.handle(input, context);
        });
    System.exit(ActivityWorker.run(env, handlers));
  }
}
