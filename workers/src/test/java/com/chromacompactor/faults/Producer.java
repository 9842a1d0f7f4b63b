package com.chromacompactor.faults;

import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.cli.CompactorCli;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The producer of one run: {@code compactor push} of the {@link StartState.Pushed} delta into the
 * run's bucket while the batch runs, as a process with the fault interceptor on its class path (its
 * requests are the sweep's {@value #TASK} step). A push that dies (a fault's SIGKILL) or fails is
 * run again with the same name and sequence, as a producer retries, until one exits 0: every
 * request of the push is a plain PUT of the same bytes, and a retry that finds its own marker
 * committed is done.
 */
final class Producer implements AutoCloseable {
  /** The step name of the producer's requests in the request log. */
  static final String TASK = "Push";

  /**
   * A push that fails this often is not a fault the sweep injected: the run stops counting on it.
   */
  private static final int MAX_LAUNCHES = 10;

  private final Path dir;
  private final List<String> command;
  private final Map<String, String> env;
  private final List<String> exits = new ArrayList<>();
  private Process process;
  private int launched;
  private boolean committed;

  Producer(Path dir, String bucket, StartState.Pushed pushed) {
    this.dir = dir;
    String classPath =
        Path.of(WorkerFleet.FAULT_AGENT).toAbsolutePath()
            + File.pathSeparator
            + System.getProperty("java.class.path");
    this.command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "--add-modules",
            "jdk.incubator.vector",
            "-cp",
            classPath,
            CompactorCli.class.getName(),
            "push",
            "--bucket",
            "s3://" + bucket,
            "--endpoint-url",
            AwsSettings.localStack().endpoint().toString(),
            "--path-style",
            "--region",
            "us-east-1",
            "--name",
            folderName(pushed.delta().key()),
            "--sequence",
            Long.toString(pushed.sequence()),
            "--producer",
            "fault sweep",
            pushed.delta().source().toString());
    Map<String, String> e = new HashMap<>();
    e.put("AWS_ACCESS_KEY_ID", "test");
    e.put("AWS_SECRET_ACCESS_KEY", "test");
    e.put(FaultInterceptor.DIR_VARIABLE, dir.toString());
    e.put(FaultInterceptor.PROCESS_TASK_VARIABLE, TASK);
    this.env = Map.copyOf(e);
  }

  private static String folderName(String key) {
    String trimmed = key.substring(0, key.length() - 1);
    return trimmed.substring(trimmed.lastIndexOf('/') + 1);
  }

  void start() throws IOException {
    launch();
  }

  /** Runs the push again if it ended without committing; true once it committed. */
  boolean supervise() throws IOException {
    if (committed || process == null || process.isAlive()) {
      return committed;
    }
    int exit = process.exitValue();
    if (exit == 0) {
      committed = true;
    } else {
      exits.add("push " + launched + " exited " + exit);
      if (launched < MAX_LAUNCHES) {
        launch();
      }
    }
    return committed;
  }

  /** Pushes that died or failed and were run again, e.g. {@code push 1 exited 137}. */
  List<String> exits() {
    return List.copyOf(exits);
  }

  private void launch() throws IOException {
    launched++;
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    pb.environment().put(FaultInterceptor.WORKER_VARIABLE, "push" + launched);
    pb.redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("push.log").toFile()));
    process = pb.start();
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
