package com.chromacompactor.faults;

import com.chromacompactor.cli.CompactorCli;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ECS service of one run: {@code desired} worker processes, each {@code compactor worker} as
 * the image runs it, with the fault interceptor's registration ({@value #FAULT_AGENT}) on its class
 * path and nothing else changed. A worker that exits (a fault's SIGKILL) is replaced by a new
 * process, as ECS replaces a stopped task.
 */
final class WorkerFleet implements AutoCloseable {
  /**
   * The folder that registers {@link FaultInterceptor} with the SDK; only worker processes get it.
   */
  static final String FAULT_AGENT = "src/test/fault-agent";

  private final Path dir;
  private final Map<String, String> env;
  private final int desired;
  private final List<Worker> workers = new ArrayList<>();
  private final List<String> exits = new ArrayList<>();
  private int started;

  private record Worker(String label, Process process) {}

  /**
   * @param env the workers' environment (bucket, activities, settings)
   */
  WorkerFleet(Path dir, Map<String, String> env, int desired) {
    this.dir = dir;
    this.env = Map.copyOf(env);
    this.desired = desired;
  }

  WorkerFleet start() throws IOException {
    while (workers.size() < desired) {
      launch();
    }
    return this;
  }

  /** Replaces every worker that has exited; returns how many were replaced now. */
  int supervise() throws IOException {
    int replaced = 0;
    for (Worker w : List.copyOf(workers)) {
      if (!w.process().isAlive()) {
        workers.remove(w);
        exits.add(w.label() + " exited " + w.process().exitValue());
        launch();
        replaced++;
      }
    }
    return replaced;
  }

  /** Workers that exited and were replaced, e.g. {@code w1 exited 137}. */
  List<String> exits() {
    return List.copyOf(exits);
  }

  private void launch() throws IOException {
    String label = "w" + (++started);
    String classPath =
        Path.of(FAULT_AGENT).toAbsolutePath()
            + File.pathSeparator
            + System.getProperty("java.class.path");
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:+ExitOnOutOfMemoryError",
            "--add-modules",
            "jdk.incubator.vector",
            "-cp",
            classPath,
            CompactorCli.class.getName(),
            "worker");
    Map<String, String> processEnv = new HashMap<>(env);
    processEnv.put(FaultInterceptor.DIR_VARIABLE, dir.toString());
    processEnv.put(FaultInterceptor.WORKER_VARIABLE, label);
    pb.environment().putAll(processEnv);
    pb.redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(label + ".log").toFile()));
    workers.add(new Worker(label, pb.start()));
  }

  /**
   * Ends every worker with SIGKILL: the run's executions have ended and its activities are deleted
   * next, so nothing is lost, and a graceful stop would wait for the long polls (SigtermTest covers
   * that path).
   */
  @Override
  public void close() {
    for (Worker w : workers) {
      try {
        w.process().destroyForcibly().waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    workers.clear();
  }
}
