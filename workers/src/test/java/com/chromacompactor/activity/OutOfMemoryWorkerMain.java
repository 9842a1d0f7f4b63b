package com.chromacompactor.activity;

import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A worker process as the CLI's {@code worker} command runs it, for {@code OutOfMemoryTest}. With
 * the argument {@code fill}, its CompactChunk handler prints "started" and keeps every MiB it
 * allocates, as a merge whose data do not fit would; with {@code fits} it answers {@code
 * {"fits":true}}.
 */
public final class OutOfMemoryWorkerMain {
  private OutOfMemoryWorkerMain() {}

  public static void main(String[] args) {
    boolean fill = args.length == 1 && args[0].equals("fill");
    ActivityHandler handler =
        (input, ctx) -> {
          System.out.println("started");
          System.out.flush();
          if (!fill) {
            return "{\"fits\":true}";
          }
          List<byte[]> held = new ArrayList<>();
          while (true) {
            byte[] mib = new byte[1 << 20];
            mib[held.size() % mib.length] = 1;
            held.add(mib);
          }
        };
    System.exit(ActivityWorker.run(System.getenv(), Map.of(WorkflowStep.COMPACT_CHUNK, handler)));
  }
}
