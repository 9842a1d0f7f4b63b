package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.chroma.hnsw.HnswSegmentFormat;
import com.chromacompactor.hnsw.IndexBuild;
import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.snapshot.IndexedSnapshotWriter;
import com.chromacompactor.testing.Scenario;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --index-build} reaches the snapshot writer as a parameter: the graph a run writes is the
 * one its own writer builds in that mode, whatever another run of the same JVM chose before.
 */
class IndexBuildOptionTest {
  @TempDir Path tmp;

  @Test
  void theOptionChoosesTheGraphOfThisRunOnly() throws Exception {
    // 01-big: over a thousand 'words' records, enough for the quantized build to run (one thread:
    // deterministic)
    Path delta = Scenario.get().delta("01-big");
    byte[] exact = level0(writtenInProcess(delta, IndexBuild.EXACT));
    byte[] quantized = level0(writtenInProcess(delta, IndexBuild.QUANTIZED));
    assertFalse(
        Arrays.equals(exact, quantized), "the two builds should link this data differently");

    Path cliExact = tmp.resolve("cli-exact");
    CliRun a =
        CliRun.of(
            "compact",
            "--format",
            "indexed",
            "--threads",
            "1",
            "--index-build",
            "EXACT",
            "--out",
            cliExact.toString(),
            delta.toString());
    assertEquals(0, a.exit(), a.err());
    assertTrue(Arrays.equals(exact, level0(cliExact)), "--index-build exact wrote another graph");

    // The next run in the same JVM, without the option, builds the default way again (no JVM-wide
    // setting).
    Path cliDefault = tmp.resolve("cli-default");
    CliRun b =
        CliRun.of(
            "compact",
            "--format",
            "indexed",
            "--threads",
            "1",
            "--out",
            cliDefault.toString(),
            delta.toString());
    assertEquals(0, b.exit(), b.err());
    assertEquals(IndexBuild.QUANTIZED, IndexBuild.DEFAULT);
    assertTrue(Arrays.equals(quantized, level0(cliDefault)), "the default run wrote another graph");
  }

  @Test
  void anUnknownModeIsAUsageErrorNamingTheChoices() {
    Path out = tmp.resolve("never");
    CliRun r =
        CliRun.of(
            "compact",
            "--format",
            "indexed",
            "--index-build",
            "fast",
            "--out",
            out.toString(),
            Scenario.get().delta("00-base").toString());
    assertEquals(2, r.exit(), r.err()); // picocli's usage error
    assertTrue(r.err().contains("index build 'fast': expected exact or quantized"), r.err());
    assertFalse(Files.exists(out));
  }

  private Path writtenInProcess(Path delta, IndexBuild build) throws IOException {
    Path out = tmp.resolve("in-process-" + build.name().toLowerCase());
    new Compaction(
            CompactionListener.NONE, IndexedSnapshotWriter.factory(1, ChromaTarget.DEFAULT, build))
        .run(List.of(delta), out);
    return out;
  }

  /** The one collection's level-0 file (01-big holds only 'words'). */
  private static byte[] level0(Path snapshot) throws IOException {
    try (Stream<Path> files = Files.walk(snapshot)) {
      List<Path> found =
          files
              .filter(p -> p.getFileName().toString().equals(HnswSegmentFormat.DATA_LEVEL0))
              .toList();
      assertEquals(1, found.size(), "level-0 files in " + snapshot + ": " + found);
      return Files.readAllBytes(found.get(0));
    }
  }
}
