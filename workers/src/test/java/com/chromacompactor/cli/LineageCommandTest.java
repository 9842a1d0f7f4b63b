package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.Series;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two snapshot lines in one bucket folder, pushed and compacted by the command line: each sees only
 * its own keys.
 */
class LineageCommandTest {
  @TempDir Path bucket;

  @Test
  void twoLineagesOfOneBucketKeepTheirDeltasPlansAndLatestApart() throws Exception {
    Series series = Series.get();
    for (int i = 0; i < 3; i++) {
      push("words", series.delta(i), i);
      push("lines", series.delta(i + 3), i);
    }
    CliRun words = CliRun.of("run", "--bucket-dir", bucket.toString(), "--lineage", "words");
    assertEquals(0, words.exit(), words.err());
    assertTrue(
        words.out().contains("published " + bucket.toRealPath() + "/words/snapshots/b-"),
        words.out());
    assertTrue(Files.isRegularFile(bucket.resolve("words/latest")));
    assertFalse(Files.exists(bucket.resolve("lines/latest")), "the other line is untouched");
    CliRun lines = CliRun.of("run", "--bucket-dir", bucket.toString(), "--lineage", "lines");
    assertEquals(0, lines.exit(), lines.err());

    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2)), latest("words"));
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(3, 4, 5)), latest("lines"));
    try (Stream<Path> top = Files.list(bucket)) {
      assertEquals(
          List.of("lines", "words"),
          top.map(p -> p.getFileName().toString()).sorted().toList(),
          "every key is under its lineage");
    }
    CliRun root = CliRun.of("run", "--bucket-dir", bucket.toString());
    assertTrue(
        root.out().contains("nothing to compact"), "the unnamed line has no deltas: " + root.out());
    CliRun again = CliRun.of("run", "--bucket-dir", bucket.toString(), "--lineage", "words");
    assertTrue(again.out().contains("nothing to compact"), again.out());
  }

  private void push(String lineage, Path delta, long sequence) {
    CliRun r =
        CliRun.of(
            "push",
            "--bucket-dir",
            bucket.toString(),
            "--lineage",
            lineage,
            "--name",
            delta.getFileName().toString(),
            "--sequence",
            Long.toString(sequence),
            delta.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(
        r.out().startsWith("committed " + lineage + "/deltas/" + delta.getFileName() + "/ in "),
        r.out());
  }

  private JsonNode latest(String lineage) throws Exception {
    String prefix =
        Files.readString(bucket.resolve(lineage).resolve("latest"), StandardCharsets.UTF_8);
    return ChromaDumps.dump(bucket.resolve(lineage).resolve(prefix));
  }
}
