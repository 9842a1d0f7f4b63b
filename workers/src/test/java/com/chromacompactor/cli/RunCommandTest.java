package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The README's first command: the sample deltas through the whole workflow, locally. */
class RunCommandTest {
  private static final Path EXAMPLES = Paths.get("../examples/deltas").toAbsolutePath().normalize();
  @TempDir Path bucket;

  @Test
  void compactsTheSampleDeltasThenFindsNothingMoreToDo() throws Exception {
    String[] first = run("run", "--bucket-dir", bucket.toString(), "--import-deltas", EXAMPLES.toString());
    assertEquals("0", first[0], first[2]);
    assertTrue(first[1].contains("imported 4 deltas"), first[1]);
    assertTrue(first[1].contains("(166 embeddings, 2 chunks, PARALLEL mode)"), first[1]);
    String latest = Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8);
    assertTrue(Files.isRegularFile(bucket.resolve(latest).resolve("chroma.sqlite3")), latest);
    assertFalse(Files.exists(bucket.resolve("intermediate")), "intermediates are cleaned up");

    String[] second = run("run", "--bucket-dir", bucket.toString(), "--import-deltas", EXAMPLES.toString());
    assertEquals("0", second[0], second[2]);
    assertTrue(second[1].contains("imported 0 deltas"), second[1]);
    assertTrue(second[1].contains("nothing to compact"), second[1]);
    assertEquals(latest, Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8));
  }

  @Test
  void aBadDeltaFailsTheRunNamingItsKeyAndPublishesNothing() throws Exception {
    Path broken = Files.createDirectories(bucket.resolve("deltas/0007-broken"));
    Files.writeString(broken.resolve("chroma.sqlite3"), "not sqlite".repeat(50));
    String[] r = run("run", "--bucket-dir", bucket.toString());
    assertEquals(String.valueOf(CompactorCli.EXIT_FAILED), r[0]);
    assertTrue(r[2].startsWith("error: delta deltas/0007-broken/: CORRUPT_SQLITE: "), r[2]);
    assertFalse(Files.exists(bucket.resolve("latest")));
  }

  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = CompactorCli.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new String[] {String.valueOf(exit), out.toString(), err.toString()};
  }
}
