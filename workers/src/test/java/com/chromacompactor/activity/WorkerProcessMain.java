package com.chromacompactor.activity;

import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A worker process as the CLI's {@code worker} command runs it, for {@code SigtermTest}: its
 * CompactChunk handler prints "started" and then works (sleeps) for a minute, checking for
 * cancellation.
 */
public final class WorkerProcessMain {
  private WorkerProcessMain() {}

  public static void main(String[] args) {
    ActivityHandler slow =
        (input, ctx) -> {
          ctx.progress("delta 1/15");
          System.out.println("started");
          System.out.flush();
          Instant end = Instant.now().plus(Duration.ofMinutes(1));
          while (Instant.now().isBefore(end)) {
            ctx.checkCancelled();
            Thread.sleep(100);
          }
          return "{}";
        };
    System.exit(ActivityWorker.run(System.getenv(), Map.of(WorkflowStep.COMPACT_CHUNK, slow)));
  }
}
