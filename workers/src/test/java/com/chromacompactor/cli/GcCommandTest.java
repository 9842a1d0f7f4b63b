package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.Series;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compactor gc} and the collection at the end of {@code compactor run}, on a local bucket of
 * snapshots published from chromadb deltas: what a dry run prints and that it deletes nothing, what
 * a run deletes and the bytes it frees, and the options' errors.
 */
class GcCommandTest {
  @TempDir Path tmp;

  @Test
  void aDryRunPrintsWhatWouldGoWithSizesAndDeletesNothingThenGcDeletesItAndCountsTheBytes()
      throws Exception {
    Path bucket = Files.createDirectories(tmp.resolve("bucket"));
    List<String> published = publishFour(bucket);
    Map<String, Long> before = files(bucket);

    CliRun dry =
        CliRun.of(
            "gc",
            "--bucket-dir",
            bucket.toString(),
            "--keep-snapshots",
            "2",
            "--min-snapshot-age",
            "0s",
            "--dry-run");
    assertEquals(0, dry.exit(), dry.err());
    assertEquals(before, files(bucket), "a dry run deletes nothing");
    assertTrue(
        dry.out()
            .startsWith(
                "gc of "
                    + bucket
                    + ": keep 2 published snapshots, none younger than 0s;"
                    + " consumed deltas and finished plans for 7d (dry run: nothing is deleted)"),
        dry.out());
    long freed = 0;
    int objects = 0;
    for (int i = 0; i < 2; i++) {
      String prefix = published.get(i);
      long bytes = bytesUnder(before, prefix);
      int count = (int) before.keySet().stream().filter(k -> k.startsWith(prefix)).count();
      freed += bytes;
      objects += count;
      String line =
          String.format(
              Locale.ROOT,
              "would delete snapshot %s: %d objects, %,d bytes (published, the %s"
                  + " newest, beyond the 2 kept;",
              prefix,
              count,
              bytes,
              i == 0 ? "4th" : "3rd");
      assertTrue(dry.out().contains(line), line + " in\n" + dry.out());
    }
    assertTrue(dry.out().contains("kept " + published.get(3) + ": "), dry.out());
    assertTrue(dry.out().contains("(latest)"), dry.out());
    assertTrue(dry.out().contains("(published before latest (2nd newest of 2 kept))"), dry.out());
    assertTrue(
        dry.out()
            .contains(
                String.format(
                    Locale.ROOT,
                    "dry run: would delete 2 snapshots, 0 deltas, 0 plans,"
                        + " 0 leftovers: %d objects, %,d bytes would be freed; nothing was deleted",
                    objects,
                    freed)),
        dry.out());

    CliRun gc =
        CliRun.of(
            "gc",
            "--bucket-dir",
            bucket.toString(),
            "--keep-snapshots",
            "2",
            "--min-snapshot-age",
            "0s");
    assertEquals(0, gc.exit(), gc.err());
    assertTrue(
        gc.out()
            .contains(
                String.format(
                    Locale.ROOT,
                    "deleted 2 snapshots, 0 deltas, 0 plans, 0 leftovers:"
                        + " %d objects, %,d bytes freed",
                    objects,
                    freed)),
        gc.out());
    Map<String, Long> after = files(bucket);
    Map<String, Long> expected = new TreeMap<>(before);
    expected
        .keySet()
        .removeIf(k -> k.startsWith(published.get(0)) || k.startsWith(published.get(1)));
    assertEquals(expected, after, "exactly the two snapshots' files went");
    assertTrue(
        gc.out()
            .contains(
                String.format(
                    Locale.ROOT,
                    "now holds %,d bytes under snapshots/",
                    bytesUnder(after, "snapshots/"))),
        gc.out());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(Series.get().deltas(0, 1, 2, 3)),
        ChromaDumps.dump(bucket.resolve(published.get(3))));

    CliRun nothing =
        CliRun.of(
            "gc",
            "--bucket-dir",
            bucket.toString(),
            "--keep-snapshots",
            "2",
            "--min-snapshot-age",
            "0s");
    assertTrue(
        nothing
            .out()
            .contains(
                "deleted 0 snapshots, 0 deltas, 0 plans, 0 leftovers: 0 objects, 0 bytes freed"),
        nothing.out());
  }

  @Test
  void runCollectsGarbageAsItsLastStepWithTheSameOptions() throws Exception {
    Path bucket = Files.createDirectories(tmp.resolve("bucket"));
    Series series = Series.get();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      push(bucket, series.delta(i), i);
      CliRun run =
          CliRun.of(
              "run",
              "--bucket-dir",
              bucket.toString(),
              "--keep-snapshots",
              "1",
              "--min-snapshot-age",
              "0s");
      assertEquals(0, run.exit(), run.err());
      out.add(run.out());
    }
    assertFalse(out.get(0).contains("gc: deleted"), out.get(0));
    assertTrue(
        out.get(2).contains("gc: deleted 1 snapshots, 0 deltas, 0 plans, 0 leftovers: "),
        out.get(2));
    assertEquals(1, Files.list(bucket.resolve("snapshots")).count());
  }

  @Test
  void badRulesAreRefusedInOneLine() throws Exception {
    Path bucket = Files.createDirectories(tmp.resolve("bucket"));
    CliRun weeks = CliRun.of("gc", "--bucket-dir", bucket.toString(), "--min-snapshot-age", "3w");
    assertEquals(2, weeks.exit());
    assertEquals(
        "error: Invalid value for option '--min-snapshot-age': '3w' is not a duration: write a whole number"
            + " and a unit (s, m, h or d), such as 0s, 30m, 24h or 7d (see 'compactor gc --help')",
        weeks.err().strip());
    CliRun retention =
        CliRun.of("gc", "--bucket-dir", bucket.toString(), "--delta-retention", "7 days");
    assertEquals(2, retention.exit());
    assertEquals(1, retention.err().lines().count(), retention.err());
    CliRun none = CliRun.of("gc", "--bucket-dir", bucket.toString(), "--keep-snapshots", "0");
    assertEquals(2, none.exit());
    assertEquals(
        "error: --keep-snapshots must be at least 1 (latest), found 0 (see 'compactor gc --help')",
        none.err().strip());
    CliRun missing = CliRun.of("gc", "--bucket-dir", tmp.resolve("no-such-bucket").toString());
    assertEquals(CompactorCli.EXIT_FAILED, missing.exit());
    assertTrue(missing.err().contains("no such bucket folder"), missing.err());
    assertFalse(Files.exists(tmp.resolve("no-such-bucket")));
  }

  // ---------------------------------------------------------------- helpers

  /** Four runs, one delta each: returns the published snapshots, oldest first. */
  private static List<String> publishFour(Path bucket) throws Exception {
    Series series = Series.get();
    List<String> published = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      push(bucket, series.delta(i), i);
      CliRun run = CliRun.of("run", "--bucket-dir", bucket.toString());
      assertEquals(0, run.exit(), run.err());
      published.add(Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8).trim());
    }
    return published;
  }

  private static void push(Path bucket, Path delta, int sequence) {
    CliRun r =
        CliRun.of(
            "push",
            "--bucket-dir",
            bucket.toString(),
            "--name",
            delta.getFileName().toString(),
            "--sequence",
            Integer.toString(sequence),
            delta.toString());
    assertEquals(0, r.exit(), r.err());
  }

  /** Every file of the bucket folder (its key) with its size. */
  private static Map<String, Long> files(Path bucket) throws Exception {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(bucket)) {
      for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        out.put(bucket.relativize(p).toString(), Files.size(p));
      }
    }
    return out;
  }

  private static long bytesUnder(Map<String, Long> files, String prefix) {
    return files.entrySet().stream()
        .filter(e -> e.getKey().startsWith(prefix))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }
}
