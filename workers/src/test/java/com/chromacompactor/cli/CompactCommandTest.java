package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.Scenario;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command-line contract the bench and the workflow rely on. */
class CompactCommandTest {
  @TempDir Path tmp;

  @Test
  void jsonSummaryOnStdoutAndExitZero() throws Exception {
    Scenario s = Scenario.get();
    Path out = tmp.resolve("snap");
    CliRun r =
        CliRun.of(
            "compact",
            "--json",
            "--out",
            out.toString(),
            s.root.resolve("scenario/deltas").toString());
    assertEquals(0, r.exit(), r.err());
    JsonNode summary = new ObjectMapper().readTree(r.out().strip());
    assertEquals(5, summary.path("deltas").asInt());
    assertEquals(3, summary.path("collections").asInt());
    assertEquals(s.summary.recordsRead(), summary.path("recordsRead").asLong());
    assertEquals(s.summary.recordsWritten(), summary.path("recordsWritten").asLong());
    assertEquals(s.summary.idsOverwritten(), summary.path("idsOverwritten").asLong());
    assertEquals(s.summary.tombstonesApplied(), summary.path("tombstonesApplied").asLong());
    assertTrue(summary.path("peakHeapMb").asLong() > 0);
    assertTrue(summary.path("seconds").asDouble() > 0);
    assertTrue(Files.isRegularFile(out.resolve("chroma.sqlite3")));
  }

  @Test
  void badDeltaExitsNonZeroNamingTheDeltaAndLeavesNoOutput() throws Exception {
    Path bad = Files.createDirectories(tmp.resolve("deltas/07-broken"));
    Files.writeString(bad.resolve("chroma.sqlite3"), "garbage".repeat(100));
    Path out = tmp.resolve("snap");
    CliRun r =
        CliRun.of(
            "compact",
            "--out",
            out.toString(),
            Scenario.get().delta("00-base").toString(),
            bad.toString());
    assertEquals(CompactorCli.EXIT_FAILED, r.exit());
    assertTrue(r.err().startsWith("error: delta " + bad + ": CORRUPT_SQLITE: "), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void chromaVersionWritesThatLinesMigrationsAndAnUnknownOneIsAUsageError() throws Exception {
    Path out = tmp.resolve("for-1.0");
    // (a delta without array metadata, which 1.0 cannot hold)
    CliRun r =
        CliRun.of(
            "compact",
            "--chroma-version",
            "1.0",
            "--out",
            out.toString(),
            Scenario.get().delta("02-lines-tombstones").toString());
    assertEquals(0, r.exit(), r.err());
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + out.resolve("chroma.sqlite3"));
        Statement st = db.createStatement();
        ResultSet rows = st.executeQuery("SELECT count(*) FROM migrations")) {
      rows.next();
      assertEquals(16, rows.getInt(1), "chromadb 1.0-1.2's 16 migrations");
    }

    CliRun bad =
        CliRun.of(
            "compact",
            "--chroma-version",
            "0.5",
            "--out",
            tmp.resolve("x").toString(),
            Scenario.get().delta("00-base").toString());
    assertEquals(2, bad.exit());
    assertTrue(
        bad.err()
            .contains(
                "unknown Chroma version '0.5': expected 0.6 (readers on chromadb 0.5.6-0.6.3),"
                    + " 1.0 (readers on chromadb 1.0-1.2), 1.3 (readers on chromadb 1.3-1.4), 1.5 (readers on chromadb 1.5)"),
        bad.err());
    assertFalse(Files.exists(tmp.resolve("x")));
  }

  @Test
  void aBaseWrittenForAnotherReleaseIsRebuiltAndTheRunSaysSo() throws Exception {
    Path base = tmp.resolve("base-1.5");
    assertEquals(
        0,
        CliRun.of(
                "compact",
                "--out",
                base.toString(),
                Scenario.get().delta("02-lines-tombstones").toString())
            .exit());
    Path out = tmp.resolve("for-1.3");
    CliRun r =
        CliRun.of(
            "compact",
            "--chroma-version",
            "1.3",
            "--base",
            base.toString(),
            "--out",
            out.toString(),
            Scenario.get().delta("02-lines-tombstones").toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(
        r.err()
            .contains(
                "note: base snapshot "
                    + base
                    + " is merged as a delta, not taken over: it is in the"
                    + " format of chromadb 1.5.0-1.5.9, the target is 1.3-1.4 (--chroma-version 1.3); its indexes are rebuilt"),
        r.err());
  }

  @Test
  void refusesToOverwriteAnExistingSnapshot() throws Exception {
    Path out = Files.createDirectory(tmp.resolve("snap"));
    CliRun r =
        CliRun.of("compact", "--out", out.toString(), Scenario.get().delta("00-base").toString());
    assertEquals(CompactorCli.EXIT_FAILED, r.exit());
    assertTrue(r.err().contains("already exists"), r.err());
  }

  @Test
  void indexedSnapshotExtendedFromABaseHoldsWhatChromaWouldWithAnEmptyQueue() throws Exception {
    Scenario s = Scenario.get();
    Path first = tmp.resolve("first");
    CliRun a =
        CliRun.of(
            "compact",
            "--format",
            "indexed",
            "--threads",
            "2",
            "--out",
            first.toString(),
            s.delta("00-base").toString(),
            s.delta("01-big").toString());
    assertEquals(0, a.exit(), a.err());
    Path second = tmp.resolve("second");
    CliRun b =
        CliRun.of(
            "compact",
            "--format",
            "indexed",
            "--base",
            first.toString(),
            "--out",
            second.toString(),
            s.delta("02-lines-tombstones").toString(),
            s.delta("03-legacy-pickle").toString(),
            s.delta("04-tombstones-only").toString());
    assertEquals(0, b.exit(), b.err());
    try (var db = DriverManager.getConnection("jdbc:sqlite:" + second.resolve("chroma.sqlite3"));
        var st = db.createStatement();
        var rs = st.executeQuery("SELECT count(*) FROM embeddings_queue")) {
      rs.next();
      assertEquals(
          0, rs.getLong(1), "a ready-to-query snapshot leaves nothing for Chroma to index");
    }
    ChromaDumps.assertSameRecords(s.oracle, ChromaDumps.dump(second));
  }

  @Test
  void missingArgumentsAreAUsageError() {
    CliRun r = CliRun.of("compact", "--json");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("Missing required"), r.err());
  }
}
