package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.testing.ReleaseMatrix;
import com.chromacompactor.testing.Scenario;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
  @TempDir Path tmp;

  @Test
  void compactsTheSampleDeltasThenFindsNothingMoreToDo() throws Exception {
    CliRun first =
        CliRun.of("run", "--bucket-dir", bucket.toString(), "--import-deltas", EXAMPLES.toString());
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.out().contains("imported 4 deltas"), first.out());
    assertTrue(
        first
            .out()
            .contains(
                ": 166 distinct ids; deltas: 4 compacted (200 records read), 0 quarantined"
                    + " (0 by Plan), 0 deferred; 2 chunks, PARALLEL mode; latest -> snapshots/b-"),
        first.out());
    String latest = Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8);
    assertTrue(Files.isRegularFile(bucket.resolve(latest).resolve("chroma.sqlite3")), latest);
    assertFalse(Files.exists(bucket.resolve("intermediate")), "intermediates are cleaned up");

    CliRun second =
        CliRun.of("run", "--bucket-dir", bucket.toString(), "--import-deltas", EXAMPLES.toString());
    assertEquals(0, second.exit(), second.err());
    assertTrue(second.out().contains("imported 0 deltas"), second.out());
    assertTrue(second.out().contains("nothing to compact"), second.out());
    assertEquals(latest, Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8));
  }

  /**
   * The sample deltas (200 records, 166 distinct ids: 31 overwritten, 3 deleted by tombstones), a
   * copy of delta-0002 whose vectors of ids ending in 7 have one float (quarantined while merging,
   * in both collections' chunks), and an unmarked delta that is not SQLite (quarantined by Plan).
   * Every summary line names what it counts, and they agree.
   */
  @Test
  void everySummaryLineNamesWhatItCountsAndTheCountsAgree() throws Exception {
    Path deltas = tmp.resolve("deltas");
    for (String name : List.of("delta-0001", "delta-0002", "delta-0003", "delta-0004")) {
      Scenario.copyTree(EXAMPLES.resolve(name), deltas.resolve(name));
    }
    Path wrong = deltas.resolve("delta-0002b");
    Scenario.copyTree(EXAMPLES.resolve("delta-0002"), wrong);
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + wrong.resolve("chroma.sqlite3"));
        Statement st = db.createStatement()) {
      assertEquals(
          5,
          st.executeUpdate("UPDATE embeddings_queue SET vector = X'0000803F' WHERE id LIKE '%7'"));
    }
    Path broken = Files.createDirectories(bucket.resolve("deltas/delta-0000-broken"));
    Files.writeString(broken.resolve("chroma.sqlite3"), "not sqlite".repeat(50));

    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream stderr = System.err;
    CliRun r;
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      r =
          CliRun.of(
              "run",
              "--bucket-dir",
              bucket.toString(),
              "--import-deltas",
              deltas.toString(),
              "--settle",
              "0s");
    } finally {
      System.setErr(stderr);
    }
    String steps = log.toString(StandardCharsets.UTF_8);
    assertEquals(0, r.exit(), r.err() + steps);
    String batch = Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8).split("/")[1];
    assertEquals(
        List.of(
            "imported 5 deltas into " + bucket.toRealPath() + " deltas/",
            "quarantined: deltas/delta-0000-broken/ (CORRUPT_SQLITE, batch " + batch + ")",
            "quarantined: deltas/delta-0002b/ (WRONG_DIMENSION, batch " + batch + ")",
            "published "
                + bucket.toRealPath()
                + "/snapshots/"
                + batch
                + "/: 166 distinct ids; deltas: 4 compacted"
                + " (200 records read), 2 quarantined (1 by Plan), 0 deferred; 2 chunks, PARALLEL mode;"
                + " latest -> snapshots/"
                + batch
                + "/"),
        r.out().lines().toList());
    // planned 5 = compacted 4 + quarantined while merging 1 + deferred 0; 250 records planned, 50
    // of them in 0002b;
    // per chunk, records read - ids overwritten - deleted by tombstones = distinct ids written
    // (40-6-1, 160-25-2)
    List<String> expected =
        List.of(
            "Plan: batch "
                + batch
                + ": 5 deltas planned (0 late) holding 250 records, 2 chunks; 1 quarantined, 0 waiting",
            "batch " + batch + ": 2 chunks, 250 records in the planned deltas, PARALLEL mode",
            "CompactChunk: chunk 0 of receipt_lines: 4 of 5 deltas merged (1 quarantined, 0 deferred); 40 records read,"
                + " 6 ids overwritten, 1 deleted by tombstones, 33 distinct ids written in ",
            "CompactChunk: chunk 1 of receipt_words: 4 of 5 deltas merged (1 quarantined, 0 deferred); 160 records read,"
                + " 25 ids overwritten, 2 deleted by tombstones, 133 distinct ids written in ",
            "FinalMerge: snapshot snapshots/" + batch + "/ checked: 166 distinct ids read back",
            "FinalMerge: snapshot snapshots/"
                + batch
                + "/: 2 intermediates merged: 4 of the plan's 5 deltas"
                + " (1 quarantined, 0 deferred); 166 records read, 0 ids overwritten, 0 deleted by tombstones,"
                + " 166 distinct ids written in ",
            "Cleanup: marked 4 of the plan's 5 deltas consumed (1 quarantined while merging, 0 deferred: pending),"
                + " deleted 2 intermediates");
    for (String line : expected) {
      assertTrue(
          steps.lines().anyMatch(l -> l.strip().startsWith(line)),
          "no line '" + line + "' in\n" + steps);
    }
  }

  @Test
  void chunkSizesAreConfiguredPerCollectionOverADefault() throws Exception {
    CliRun r =
        CliRun.of(
            "run",
            "--bucket-dir",
            bucket.toString(),
            "--import-deltas",
            EXAMPLES.toString(),
            "--chunk-size",
            "receipt_words=1",
            "--chunk-size",
            "password_lines=4,other=5",
            "--chunk-size-default",
            "3");
    assertEquals(0, r.exit(), r.err());
    Path plan;
    try (var files = Files.walk(bucket.resolve("plans"))) {
      plan =
          files
              .filter(f -> f.getFileName().toString().equals("chunks.json"))
              .findFirst()
              .orElseThrow();
    }
    List<String> chunks = new ArrayList<>();
    new ObjectMapper()
        .readTree(plan.toFile())
        .forEach(
            c ->
                chunks.add(
                    c.path("collection").asText()
                        + "/"
                        + c.path("chunkSize").asInt()
                        + "="
                        + c.path("deltaKeys").size()));
    // 4 deltas: receipt_lines by the default (3 + 1), receipt_words one by one
    assertEquals(
        List.of(
            "receipt_lines/3=3",
            "receipt_lines/3=1",
            "receipt_words/1=1",
            "receipt_words/1=1",
            "receipt_words/1=1",
            "receipt_words/1=1"),
        chunks);
  }

  @Test
  void aWrongChunkSizeIsAnOptionErrorBeforeAnythingIsImported() {
    String[][] wrong = {
      {"--chunk-size", "receipt_words=0"},
      {"--chunk-size", "receipt_words"},
      {"--chunk-size", "receipt words=3"},
      {"--chunk-size-default", "many"},
    };
    String[] messages = {
      "error: --chunk-size of receipt_words must be at least 1 delta, got 0 (see 'compactor run --help')",
      "error: --chunk-size must be collection=N entries separated by commas, got 'receipt_words' in 'receipt_words'"
          + " (see 'compactor run --help')",
      "error: --chunk-size: 'receipt words' is not a collection name (letters, digits, '.', '_' and '-', starting"
          + " with a letter or digit) (see 'compactor run --help')",
      "error: --chunk-size-default must be a whole number of deltas, got 'many' (see 'compactor run --help')",
    };
    for (int i = 0; i < wrong.length; i++) {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "run",
                  "--bucket-dir",
                  bucket.toString(),
                  "--import-deltas",
                  EXAMPLES.toString()));
      args.addAll(List.of(wrong[i]));
      CliRun r = CliRun.of(args.toArray(new String[0]));
      assertEquals(2, r.exit(), r.err());
      assertEquals(messages[i], r.err().strip());
      assertFalse(Files.exists(bucket.resolve("deltas")), "nothing imported");
    }
  }

  @Test
  void deltasOfEveryReleaseFamilyArePublishedForTheReadersReleaseLine() throws Exception {
    // one delta per chromadb release family, none with array metadata (which 0.6 cannot hold)
    List<String> args =
        new ArrayList<>(
            List.of("run", "--bucket-dir", bucket.toString(), "--chroma-version", "0.6"));
    for (Path delta : ReleaseMatrix.get().plainDeltas()) {
      args.add("--import-deltas");
      args.add(delta.toString());
    }
    CliRun r = CliRun.of(args.toArray(new String[0]));
    assertEquals(0, r.exit(), r.err());
    Path snapshot =
        bucket.resolve(Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8));
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + snapshot.resolve("chroma.sqlite3"));
        Statement st = db.createStatement()) {
      try (ResultSet migrations =
          st.executeQuery("SELECT count(*) FROM migrations WHERE dir = 'sysdb'")) {
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
    CliRun r =
        CliRun.of(
            "run", "--bucket-dir", bucket.toString(), "--on-bad-delta", "fail", "--settle", "0s");
    assertEquals(CompactorCli.EXIT_FAILED, r.exit());
    assertTrue(r.err().startsWith("error: delta deltas/0007-broken/: CORRUPT_SQLITE: "), r.err());
    assertFalse(Files.exists(bucket.resolve("latest")));
  }

  @Test
  void byDefaultABadDeltaIsQuarantinedWithItsReasonAndTheRestIsPublished() throws Exception {
    Path broken = Files.createDirectories(bucket.resolve("deltas/delta-0002x-broken"));
    Files.writeString(broken.resolve("chroma.sqlite3"), "not sqlite".repeat(50));
    CliRun r =
        CliRun.of(
            "run",
            "--bucket-dir",
            bucket.toString(),
            "--import-deltas",
            EXAMPLES.toString(),
            "--settle",
            "0s");
    assertEquals(0, r.exit(), r.err());
    assertTrue(
        r.out()
            .contains(
                ": 166 distinct ids; deltas: 4 compacted (200 records read), 1 quarantined (1 by Plan),"
                    + " 0 deferred; 2 chunks, PARALLEL mode"),
        "the good deltas compact: " + r.out());
    List<Path> reasons;
    try (var files = Files.walk(bucket.resolve("quarantine"))) {
      reasons = files.filter(Files::isRegularFile).toList();
    }
    assertEquals(1, reasons.size(), reasons.toString());
    var reason = new ObjectMapper().readTree(reasons.get(0).toFile());
    assertTrue(
        r.out()
            .contains(
                "quarantined: deltas/delta-0002x-broken/ (CORRUPT_SQLITE, batch "
                    + reason.path("batchId").asText()
                    + ")"),
        r.out());
    assertEquals("deltas/delta-0002x-broken/", reason.path("deltaKey").asText());
    assertEquals("CORRUPT_SQLITE", reason.path("problem").asText());
    assertEquals("Plan", reason.path("step").asText());
    assertTrue(reason.path("detail").asText().contains("not a SQLite database"), reason.toString());
    CliRun again = CliRun.of("run", "--bucket-dir", bucket.toString(), "--settle", "0s");
    assertTrue(
        again.out().contains("nothing to compact"),
        "a quarantined delta is not taken again: " + again.out());
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
    CliRun r =
        CliRun.of(
            "run", "--bucket-dir", missing.toString(), "--import-deltas", EXAMPLES.toString());
    assertEquals(CompactorCli.EXIT_FAILED, r.exit());
    assertEquals("error: " + missing.toAbsolutePath() + ": no such bucket folder", r.err().strip());
    assertFalse(Files.exists(missing), "the folder is not created");
  }

  @Test
  void bucketDirAndBucketAreOneOrTheOther() {
    CliRun both =
        CliRun.of("run", "--bucket-dir", bucket.toString(), "--bucket", "s3://some-bucket");
    assertEquals(2, both.exit(), "a usage error");
    assertTrue(both.err().contains("mutually exclusive"), both.err());
    CliRun neither = CliRun.of("run");
    assertEquals(2, neither.exit());
    assertTrue(
        neither.err().contains("--bucket-dir=DIR | --bucket=s3://NAME[/PREFIX]"), neither.err());
    CliRun endpointWithDir =
        CliRun.of("run", "--bucket-dir", bucket.toString(), "--endpoint-url", "http://x");
    assertEquals(CompactorCli.EXIT_FAILED, endpointWithDir.exit());
    assertTrue(
        endpointWithDir.err().contains("go with --bucket, not --bucket-dir"),
        endpointWithDir.err());
    CliRun badLineage = CliRun.of("run", "--bucket-dir", bucket.toString(), "--lineage", "deltas");
    assertEquals(2, badLineage.exit());
    assertTrue(badLineage.err().contains("reserved name"), badLineage.err());
  }
}
