package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.Series;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code compactor pull} from the command line: what it prints, a damaged snapshot refused, and
 * {@code --watch}.
 */
class PullCommandTest {
  @TempDir Path tmp;

  @Test
  void pullSaysWhatItDidThenThatItIsCurrentAndRefusesADamagedSnapshotWithExitOne()
      throws Exception {
    Path bucket = Files.createDirectories(tmp.resolve("bucket"));
    Series series = Series.get();
    String first = publish(bucket, series, 0);
    Path dir = tmp.resolve("reader");
    CliRun pulled = CliRun.of("pull", "--bucket-dir", bucket.toString(), "--to", dir.toString());
    assertEquals(0, pulled.exit(), pulled.err());
    String batch = first.substring("snapshots/".length(), first.length() - 1);
    assertTrue(
        pulled
            .out()
            .startsWith("pulled " + first + " into " + dir.toAbsolutePath().resolve(batch) + ": "),
        pulled.out());
    assertTrue(
        pulled.out().strip().endsWith(dir.resolve("current") + " -> " + batch), pulled.out());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0)), ChromaDumps.dump(dir.resolve("current").toRealPath()));

    CliRun again = CliRun.of("pull", "--bucket-dir", bucket.toString(), "--to", dir.toString());
    assertEquals(0, again.exit(), again.err());
    assertEquals(
        "already current: "
            + dir.resolve("current")
            + " -> "
            + batch
            + " ("
            + first
            + "); nothing to do",
        again.out().strip());

    String second = publish(bucket, series, 1);
    Path sqlite = bucket.resolve(second).resolve("chroma.sqlite3");
    try (RandomAccessFile f = new RandomAccessFile(sqlite.toFile(), "rw")) {
      f.seek(f.length() - 1);
      int b = f.read();
      f.seek(f.length() - 1);
      f.write(b ^ 0x80);
    }
    CliRun refused = CliRun.of("pull", "--bucket-dir", bucket.toString(), "--to", dir.toString());
    assertEquals(CompactorCli.EXIT_FAILED, refused.exit());
    assertEquals(1, refused.err().lines().count(), refused.err());
    assertTrue(
        refused
            .err()
            .startsWith(
                "error: "
                    + bucket.toRealPath()
                    + "/"
                    + second
                    + " is refused:"
                    + " chroma.sqlite3 is "),
        refused.err());
    assertEquals(
        batch, Files.readSymbolicLink(dir.resolve("current")).toString(), "current unchanged");
  }

  @Test
  void watchPullsEachNewSnapshotUntilStopped() throws Exception {
    Path bucket = Files.createDirectories(tmp.resolve("bucket"));
    Series series = Series.get();
    publish(bucket, series, 0);
    Path dir = tmp.resolve("reader");
    StringWriter out =
        new StringWriter(); // a StringBuffer inside: read here while the command writes
    StringWriter err = new StringWriter();
    CommandLine cli = CompactorCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    AtomicReference<Thread> watcher = new AtomicReference<>();
    CompletableFuture<Integer> watching =
        CompletableFuture.supplyAsync(
            () -> {
              watcher.set(Thread.currentThread());
              return cli.execute(
                  "pull",
                  "--bucket-dir",
                  bucket.toString(),
                  "--to",
                  dir.toString(),
                  "--watch",
                  "1");
            });
    String first = awaitCurrent(dir, null);
    awaitOutput(out, "already current: ", 0);
    String second = publish(bucket, series, 1);
    String moved = awaitCurrent(dir, first);
    assertEquals(second.substring("snapshots/".length(), second.length() - 1), moved);
    int pulledAt = awaitOutput(out, "pulled " + second, 0);
    awaitOutput(
        out, "already current: ", pulledAt); // a round after the move, then stop it while it waits
    watcher.get().interrupt();
    assertEquals(0, watching.get(60, TimeUnit.SECONDS), err.toString());
    assertTrue(out.toString().strip().endsWith("stopped watching " + bucket), out.toString());
    assertEquals("", err.toString());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1)), ChromaDumps.dump(dir.resolve("current").toRealPath()));
  }

  /** Waits until {@code text} appears in {@code out} at or after {@code from}; returns where. */
  private static int awaitOutput(StringWriter out, String text, int from) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
    while (Instant.now().isBefore(deadline)) {
      int at = out.toString().indexOf(text, from);
      if (at >= 0) {
        return at;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no '" + text + "' after " + from + " in: " + out);
  }

  private static String awaitCurrent(Path dir, String other) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
    while (Instant.now().isBefore(deadline)) {
      Path link = dir.resolve("current");
      if (Files.isSymbolicLink(link)) {
        String now = Files.readSymbolicLink(link).toString();
        if (!now.equals(other)) {
          return now;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("current did not move from " + other);
  }

  private static String publish(Path bucket, Series series, int i) {
    CliRun push =
        CliRun.of(
            "push",
            "--bucket-dir",
            bucket.toString(),
            "--name",
            "delta-" + i,
            "--sequence",
            Integer.toString(i),
            series.delta(i).toString());
    assertEquals(0, push.exit(), push.err());
    CliRun run = CliRun.of("run", "--bucket-dir", bucket.toString());
    assertEquals(0, run.exit(), run.err());
    try {
      return Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
