package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.testing.ReleaseMatrix;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command: the sample deltas through the whole workflow, locally. */
class RunCommandTest {
  private static final Path EXAMPLES = Paths.get("../examples/deltas").toAbsolutePath().normalize();
  @TempDir Path bucket;

  @Test
  void compactsTheSampleDeltasThenFindsNothingMoreToDo() throws Exception {
    CliRun first = CliRun.of("run", "--bucket-dir", bucket.toString(), "--import-deltas", EXAMPLES.toString());
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.out().contains("imported 4 deltas"), first.out());
    assertTrue(first.out().contains("(166 embeddings, 2 chunks, PARALLEL mode)"), first.out());
    String latest = Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8);
    assertTrue(Files.isRegularFile(bucket.resolve(latest).resolve("chroma.sqlite3")), latest);
    assertFalse(Files.exists(bucket.resolve("intermediate")), "intermediates are cleaned up");

    CliRun second = CliRun.of("run", "--bucket-dir", bucket.toString(), "--import-deltas", EXAMPLES.toString());
    assertEquals(0, second.exit(), second.err());
    assertTrue(second.out().contains("imported 0 deltas"), second.out());
    assertTrue(second.out().contains("nothing to compact"), second.out());
    assertEquals(latest, Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8));
  }

  @Test
  void deltasOfEveryReleaseFamilyArePublishedForTheReadersReleaseLine() throws Exception {
    // one delta per chromadb release family, none with array metadata (which 0.6 cannot hold)
    List<String> args = new ArrayList<>(List.of("run", "--bucket-dir", bucket.toString(), "--chroma-version", "0.6"));
    for (Path delta : ReleaseMatrix.get().plainDeltas()) {
      args.add("--import-deltas");
      args.add(delta.toString());
    }
    CliRun r = CliRun.of(args.toArray(new String[0]));
    assertEquals(0, r.exit(), r.err());
    Path snapshot = bucket.resolve(Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8));
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + snapshot.resolve("chroma.sqlite3"));
        Statement st = db.createStatement()) {
      try (ResultSet migrations = st.executeQuery("SELECT count(*) FROM migrations WHERE dir = 'sysdb'")) {
        migrations.next();
        assertEquals(9, migrations.getInt(1), "chromadb 0.6's sysdb migrations");
      }
      try (ResultSet seq = st.executeQuery("SELECT DISTINCT typeof(seq_id) FROM embeddings")) {
        seq.next();
        assertEquals("blob", seq.getString(1), "0.6 keeps sequence ids as big-endian BLOBs");
      }
    }
  }

  @Test
  void aBadDeltaFailsTheRunNamingItsKeyAndPublishesNothing() throws Exception {
    Path broken = Files.createDirectories(bucket.resolve("deltas/0007-broken"));
    Files.writeString(broken.resolve("chroma.sqlite3"), "not sqlite".repeat(50));
    // an unmarked delta, taken at once with no settle window
    CliRun r = CliRun.of("run", "--bucket-dir", bucket.toString(), "--on-bad-delta", "fail", "--settle", "0s");
    assertEquals(CompactorCli.EXIT_FAILED, r.exit());
    assertTrue(r.err().startsWith("error: delta deltas/0007-broken/: CORRUPT_SQLITE: "), r.err());
    assertFalse(Files.exists(bucket.resolve("latest")));
  }

  @Test
  void byDefaultABadDeltaIsQuarantinedWithItsReasonAndTheRestIsPublished() throws Exception {
    Path broken = Files.createDirectories(bucket.resolve("deltas/delta-0002x-broken"));
    Files.writeString(broken.resolve("chroma.sqlite3"), "not sqlite".repeat(50));
    CliRun r = CliRun.of("run", "--bucket-dir", bucket.toString(), "--import-deltas", EXAMPLES.toString(),
        "--settle", "0s");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("(166 embeddings, 2 chunks, PARALLEL mode)"), "the good deltas compact: " + r.out());
    List<Path> reasons;
    try (var files = Files.walk(bucket.resolve("quarantine"))) {
      reasons = files.filter(Files::isRegularFile).toList();
    }
    assertEquals(1, reasons.size(), reasons.toString());
    var reason = new com.fasterxml.jackson.databind.ObjectMapper().readTree(reasons.get(0).toFile());
    assertTrue(r.out().contains("quarantined: deltas/delta-0002x-broken/ (CORRUPT_SQLITE, batch "
        + reason.path("batchId").asText() + ")"), r.out());
    assertEquals("deltas/delta-0002x-broken/", reason.path("deltaKey").asText());
    assertEquals("CORRUPT_SQLITE", reason.path("problem").asText());
    assertEquals("Plan", reason.path("step").asText());
    assertTrue(reason.path("detail").asText().contains("not a SQLite database"), reason.toString());
    CliRun again = CliRun.of("run", "--bucket-dir", bucket.toString(), "--settle", "0s");
    assertTrue(again.out().contains("nothing to compact"), "a quarantined delta is not taken again: " + again.out());
  }

  @Test
  void anUnmarkedDeltaWaitsForTheSettleWindowAndIsNeitherReadNorQuarantined() throws Exception {
    Path fresh = Files.createDirectories(bucket.resolve("deltas/just-uploaded"));
    Files.writeString(fresh.resolve("chroma.sqlite3"), "half of a sqlite file");
    CliRun r = CliRun.of("run", "--bucket-dir", bucket.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("waiting: 1 deltas not complete yet"), r.out());
    assertTrue(r.out().contains("nothing to compact"), r.out());
    assertFalse(Files.exists(bucket.resolve("quarantine")), "waiting, not bad");
    assertFalse(Files.exists(bucket.resolve("plans/processed")), "not consumed");
  }

  @Test
  void runOnABucketFolderThatDoesNotExistIsAnErrorAndCreatesNothing() {
    Path missing = bucket.resolve("no-such-bucket");
    CliRun r = CliRun.of("run", "--bucket-dir", missing.toString(), "--import-deltas", EXAMPLES.toString());
    assertEquals(CompactorCli.EXIT_FAILED, r.exit());
    assertEquals("error: " + missing.toAbsolutePath() + ": no such bucket folder", r.err().strip());
    assertFalse(Files.exists(missing), "the folder is not created");
  }

  @Test
  void bucketDirAndBucketAreOneOrTheOther() {
    CliRun both = CliRun.of("run", "--bucket-dir", bucket.toString(), "--bucket", "s3://some-bucket");
    assertEquals(2, both.exit(), "a usage error");
    assertTrue(both.err().contains("mutually exclusive"), both.err());
    CliRun neither = CliRun.of("run");
    assertEquals(2, neither.exit());
    assertTrue(neither.err().contains("--bucket-dir=DIR | --bucket=s3://NAME[/PREFIX]"), neither.err());
    CliRun endpointWithDir = CliRun.of("run", "--bucket-dir", bucket.toString(), "--endpoint-url", "http://x");
    assertEquals(CompactorCli.EXIT_FAILED, endpointWithDir.exit());
    assertTrue(endpointWithDir.err().contains("go with --bucket, not --bucket-dir"), endpointWithDir.err());
    CliRun badLineage = CliRun.of("run", "--bucket-dir", bucket.toString(), "--lineage", "deltas");
    assertEquals(2, badLineage.exit());
    assertTrue(badLineage.err().contains("reserved name"), badLineage.err());
  }
}
