package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./compactor} launcher as a user runs it, on the jar that {@code package} built
 * (Failsafe runs this after it): the JVM's incubator warning never shows, everything else on stderr
 * does, the exit code is java's, and on a terminal the live progress line still updates.
 */
class LauncherIT {
  private static final Path ROOT =
      Path.of(System.getProperty("compactor.repoRoot", "..")).toAbsolutePath().normalize();
  private static final String WARNING = "WARNING: Using incubator modules: jdk.incubator.vector";

  @TempDir Path tmp;

  private record Run(int exit, String out, String err) {}

  @Test
  void helpPrintsNothingOnStderr() throws Exception {
    Run r = launch("--help");
    assertEquals(0, r.exit(), r.err());
    assertEquals("", r.err());
    assertTrue(r.out().startsWith("Usage: compactor"), r.out());
  }

  @Test
  void anOptionErrorIsItsOneLineAndJavasExitCode() throws Exception {
    Run r =
        launch(
            "compact", "--threads", "0", "--out", tmp.resolve("snap").toString(), tmp.toString());
    assertEquals(2, r.exit());
    assertEquals(
        "error: --threads must be at least 1, found 0 (see 'compactor compact --help')\n", r.err());
  }

  @Test
  void aFailedCompactionKeepsItsErrorAndExitCode() throws Exception {
    Path bad = Files.createDirectories(tmp.resolve("deltas/d-1"));
    Files.writeString(bad.resolve("chroma.sqlite3"), "not sqlite".repeat(50));
    Run r = launch("compact", "--out", tmp.resolve("snap").toString(), bad.toString());
    assertEquals(CompactorCli.EXIT_FAILED, r.exit());
    assertTrue(r.err().startsWith("error: delta " + bad + ": CORRUPT_SQLITE: "), r.err());
    assertFalse(r.err().contains(WARNING));
  }

  @Test
  void onATerminalTheProgressLineUpdatesAndTheWarningDoesNotShow() throws Exception {
    // script(1) gives the launcher a terminal: stdin, stdout and stderr are the same
    // pseudo-terminal.
    Path snapshot = tmp.resolve("snap");
    String command =
        "'"
            + ROOT.resolve("compactor")
            + "' compact --out '"
            + snapshot
            + "' '"
            + ROOT.resolve("examples/deltas")
            + "'";
    Run r = run(List.of("script", "-qec", command, "/dev/null"));
    assertEquals(0, r.exit(), r.out() + r.err());
    assertFalse(r.out().contains(WARNING), r.out());
    assertTrue(r.out().contains("\r[1/4] delta-0001 |"), r.out());
    assertTrue(r.out().contains("\r[4/4] delta-0004 | 200 records"), r.out());
    assertTrue(r.out().contains("snapshot " + snapshot + ": 4 deltas"), r.out());
    assertTrue(Files.isRegularFile(snapshot.resolve("chroma.sqlite3")));
  }

  private Run launch(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ROOT.resolve("compactor").toString()));
    command.addAll(List.of(args));
    return run(command);
  }

  private static Run run(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile());
    pb.environment().remove("JAVA_TOOL_OPTIONS"); // the JVM would announce it on stderr
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = pb.start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher did not finish: " + command);
    return new Run(p.exitValue(), out.join(), err.join());
  }

  private static String read(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
