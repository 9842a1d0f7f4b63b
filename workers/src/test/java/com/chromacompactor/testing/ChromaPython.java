package com.chromacompactor.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code src/test/python/chroma_fixtures.py} with the venv's Python, where real chromadb is
 * installed. The interpreter comes from the {@code chroma.python} system property (set by Maven).
 */
public final class ChromaPython {
  private static final Path SCRIPTS = Paths.get("src/test/python").toAbsolutePath();
  private static final String FIXTURES = "chroma_fixtures.py";

  private ChromaPython() {}

  public static Path interpreter() {
    String configured = System.getProperty("chroma.python");
    Path python = Paths.get(configured != null ? configured : "../.venv/bin/python");
    if (!Files.isExecutable(python)) {
      fail(
          "real chromadb is needed: no Python at "
              + python
              + " (run scripts/test, which creates the venv, or set -Dchroma.python)");
    }
    return python;
  }

  /**
   * Runs one command of chroma_fixtures.py and fails the test with its output if it does not exit
   * 0.
   */
  public static void run(String command, Object... args) {
    runScript(FIXTURES, command, args);
  }

  /** Runs one command of another script in src/test/python, likewise. */
  public static void runScript(String script, String command, Object... args) {
    exec(interpreter(), script, command, args);
  }

  /** Runs one command of a script in src/test/python with the venv of {@code release}, likewise. */
  public static void runWith(ChromaRelease release, String script, String command, Object... args) {
    exec(release.interpreter(), script, command, args);
  }

  private static void exec(Path python, String script, String command, Object... args) {
    List<String> cmd =
        new ArrayList<>(List.of(python.toString(), SCRIPTS.resolve(script).toString(), command));
    for (Object a : args) {
      if (a instanceof List<?> list) {
        list.forEach(x -> cmd.add(x.toString()));
      } else {
        cmd.add(a.toString());
      }
    }
    try {
      Path log = Files.createTempFile("chroma-fixture-", ".log");
      Process p =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        fail("timed out: " + String.join(" ", cmd));
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      Files.deleteIfExists(log);
      if (p.exitValue() != 0) {
        fail("exit " + p.exitValue() + ": " + String.join(" ", cmd) + "\n" + output);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + cmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
