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
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A producer's bad delta through the command line: quarantined by a run, listed, replaced by its
 * producer with {@code push --replace}, released, and compacted by the next run at its own
 * sequence, after later deltas were published; a second release is refused.
 */
class QuarantineCommandTest {
  @TempDir Path bucket;

  @Test
  void aQuarantinedDeltaReplacedAndReleasedIsCompactedAtItsOwnSequence() throws Exception {
    Series series = Series.get();
    for (int i : new int[] {0, 1, 2, 4, 5}) {
      push(series.delta(i), "delta-" + i, i);
    }
    // delta 3, as a buggy producer committed it: a marker that matches what it uploaded, which is
    // not SQLite
    byte[] garbage = "not sqlite at all ".repeat(40).getBytes(StandardCharsets.UTF_8);
    Path broken = Files.createDirectories(bucket.resolve("deltas/delta-3"));
    Files.write(broken.resolve("chroma.sqlite3"), garbage);
    Files.writeString(
        broken.resolve("_delta.json"),
        "{\"format\": \"chroma-compactor/delta\", \"version\": 1,"
            + " \"sequence\": 3, \"files\": [{\"path\": \"chroma.sqlite3\", \"size\": "
            + garbage.length
            + ", \"sha256\": \""
            + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(garbage))
            + "\"}]}");

    CliRun first = CliRun.of("run", "--bucket-dir", bucket.toString());
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.out().contains("quarantined: deltas/delta-3/ (CORRUPT_SQLITE"), first.out());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2, 4, 5)), latest());

    CliRun list = CliRun.of("quarantine", "list", "--bucket-dir", bucket.toString());
    assertEquals(0, list.exit(), list.err());
    String line = list.out().strip();
    assertTrue(line.startsWith("deltas/delta-3/\tbatch b-"), line);
    assertTrue(line.contains("\tCORRUPT_SQLITE\t") && line.contains("not a SQLite database"), line);
    assertEquals(1, line.lines().count(), line);

    // the producer replaces it, then the operator releases it
    CliRun replace =
        CliRun.of(
            "push",
            "--bucket-dir",
            bucket.toString(),
            "--name",
            "delta-3",
            "--sequence",
            "3",
            "--replace",
            series.delta(3).toString());
    assertEquals(0, replace.exit(), replace.err());
    CliRun release =
        CliRun.of("quarantine", "release", "--bucket-dir", bucket.toString(), "deltas/delta-3/");
    assertEquals(0, release.exit(), release.err());
    assertTrue(
        release.out().startsWith("released deltas/delta-3/ (was CORRUPT_SQLITE in batch b-"),
        release.out());
    CliRun listAgain = CliRun.of("quarantine", "list", "--bucket-dir", bucket.toString());
    assertTrue(listAgain.out().startsWith("no quarantined deltas"), listAgain.out());

    CliRun second = CliRun.of("run", "--bucket-dir", bucket.toString());
    assertEquals(0, second.exit(), second.err());
    assertTrue(second.out().contains("published"), second.out());
    // delta 3 merged late, at its own sequence: as if all six had arrived in order
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2, 3, 4, 5)), latest());

    CliRun again =
        CliRun.of("quarantine", "release", "--bucket-dir", bucket.toString(), "deltas/delta-3/");
    assertEquals(CompactorCli.EXIT_FAILED, again.exit());
    assertTrue(
        again
            .err()
            .startsWith(
                "error: deltas/delta-3/ is not quarantined in "
                    + bucket.toRealPath()
                    + ": it was released already"),
        again.err());
    CliRun never =
        CliRun.of("quarantine", "release", "--bucket-dir", bucket.toString(), "deltas/delta-1/");
    assertEquals(CompactorCli.EXIT_FAILED, never.exit());
    assertTrue(
        never.err().contains("deltas/delta-1/ is not quarantined")
            && never.err().contains("no quarantine record"),
        never.err());
    assertFalse(
        CliRun.of("run", "--bucket-dir", bucket.toString()).out().contains("published"),
        "nothing left to compact");
  }

  private void push(Path delta, String name, long sequence) {
    CliRun r =
        CliRun.of(
            "push",
            "--bucket-dir",
            bucket.toString(),
            "--name",
            name,
            "--sequence",
            Long.toString(sequence),
            delta.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().startsWith("committed deltas/" + name + "/ in "), r.out());
  }

  private JsonNode latest() throws Exception {
    String prefix = Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8);
    return ChromaDumps.dump(bucket.resolve(prefix));
  }
}
