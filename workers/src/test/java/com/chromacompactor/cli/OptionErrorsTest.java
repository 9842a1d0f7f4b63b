package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A wrong option or argument is one line on stderr and exit 2, in every command; nothing is
 * written.
 */
class OptionErrorsTest {
  @TempDir Path tmp;

  @Test
  void threadsBelowOneIsAnOptionErrorNotAStackTrace() throws Exception {
    Path delta = Files.createDirectory(tmp.resolve("delta"));
    CliRun r =
        CliRun.of(
            "compact", "--threads", "0", "--out", tmp.resolve("snap").toString(), delta.toString());
    assertOneLineError(
        r, "error: --threads must be at least 1, found 0 (see 'compactor compact --help')");
    assertFalse(Files.exists(tmp.resolve("snap")));
  }

  @Test
  void threadsThatIsNotANumberIsAnOptionError() {
    CliRun r =
        CliRun.of("compact", "--threads", "many", "--out", tmp.resolve("snap").toString(), "d");
    assertOneLineError(
        r,
        "error: Invalid value for option '--threads': 'many' is not an int"
            + " (see 'compactor compact --help')");
  }

  @Test
  void aDeltaThatDoesNotExistIsNamedAsMissing() throws Exception {
    Path delta = Files.createDirectory(tmp.resolve("delta-0001"));
    Path typo = tmp.resolve("delta-0002-typo");
    CliRun r =
        CliRun.of(
            "compact", "--out", tmp.resolve("snap").toString(), delta.toString(), typo.toString());
    assertOneLineError(
        r, "error: delta " + typo + " does not exist (see 'compactor compact --help')");
    assertFalse(Files.exists(tmp.resolve("snap")));
  }

  @Test
  void aBaseThatDoesNotExistIsNamedAsMissing() throws Exception {
    Path delta = Files.createDirectory(tmp.resolve("delta"));
    Path base = tmp.resolve("no-such-snapshot");
    CliRun r =
        CliRun.of(
            "compact",
            "--base",
            base.toString(),
            "--out",
            tmp.resolve("snap").toString(),
            delta.toString());
    assertOneLineError(
        r, "error: base snapshot " + base + " does not exist (see 'compactor compact --help')");
  }

  @Test
  void verifyCallsAMissingSnapshotASnapshot() throws Exception {
    Path delta = Files.createDirectory(tmp.resolve("delta"));
    Path snapshot = tmp.resolve("snapshots/b-1");
    CliRun r = CliRun.of("verify", snapshot.toString(), delta.toString());
    assertOneLineError(
        r, "error: snapshot " + snapshot + " does not exist (see 'compactor verify --help')");
  }

  @Test
  void verifyCallsAFolderThatIsNoSnapshotASnapshot() throws Exception {
    Path delta = Files.createDirectory(tmp.resolve("delta")); // a delta of deletes only
    Files.writeString(
        delta.resolve("tombstones.json"),
        "{\"format\": \"chroma-compactor/tombstones\", \"version\": 1, \"collections\": {\"c\": [\"a\"]}}");
    Path snapshot = Files.createDirectory(tmp.resolve("empty"));
    CliRun r = CliRun.of("verify", snapshot.toString(), delta.toString());
    assertEquals(CompactorCli.EXIT_FAILED, r.exit(), r.err());
    assertTrue(r.err().startsWith("error: snapshot " + snapshot + ": NOT_CHROMA: "), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
  }

  @Test
  void everyCommandAnswersAWrongOptionWithOneLine() {
    for (String command : new String[] {"compact", "run", "gc", "pull", "verify", "worker"}) {
      CliRun r = CliRun.of(command, "--no-such-option");
      assertEquals(2, r.exit(), command);
      assertEquals(1, r.err().lines().count(), command + ": " + r.err());
      assertTrue(r.err().startsWith("error: "), r.err());
      assertTrue(r.err().strip().endsWith("(see 'compactor " + command + " --help')"), r.err());
      assertEquals("", r.out(), command);
    }
  }

  @Test
  void anUnknownCommandAndAMissingOptionAreOneLineEach() {
    assertOneLineError(
        CliRun.of("compcat"),
        "error: Unmatched argument at index 0: 'compcat' (see 'compactor --help')");
    assertOneLineError(
        CliRun.of("compact", "--json", "d"),
        "error: Missing required option: '--out=<out>' (see 'compactor compact --help')");
  }

  private static void assertOneLineError(CliRun r, String line) {
    assertEquals(2, r.exit(), r.err());
    assertEquals(line + System.lineSeparator(), r.err());
    assertEquals("", r.out());
  }
}
