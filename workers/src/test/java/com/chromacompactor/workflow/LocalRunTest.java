package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.files.FileTrees;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.ChromaPython;
import com.chromacompactor.testing.Scenario;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workflow's steps run in process on a local bucket, with chunks small enough that every
 * collection spans several chunks: the published snapshot must still answer exactly as the chromadb
 * oracle that upserted every delta in order.
 */
class LocalRunTest {
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
  @TempDir Path tmp;

  @Test
  void chunkedRunInParallelModeAnswersLikeTheOracle() throws Exception {
    assertPublishedSnapshotMatchesOracle(Long.MAX_VALUE, CompactionMode.PARALLEL);
  }

  @Test
  void chunkedRunInSequentialModeAnswersLikeTheOracle() throws Exception {
    assertPublishedSnapshotMatchesOracle(0, CompactionMode.SEQUENTIAL);
  }

  private void assertPublishedSnapshotMatchesOracle(long threshold, CompactionMode expectedMode)
      throws Exception {
    Scenario s = Scenario.get();
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    assertEquals(5, LocalRun.importDeltas(bucket, s.deltas));
    // two deltas per chunk: words spans 00, 01 | 03, 04 and the tombstones of 02 cross a chunk
    // boundary
    LocalRun run =
        new LocalRun(
            bucket,
            new LocalRun.Settings(ChunkSizes.uniform(2), threshold, "fail"),
            Files.createDirectories(tmp.resolve("scratch")),
            QUIET);
    LocalRun.Result r = run.run("test-execution");
    assertEquals(expectedMode, r.mode());
    assertEquals(s.deltas.size() > 0, r.plan().chunkCount() >= 5, "chunks: " + r.plan());
    Path snapshot = bucket.root().resolve(r.merge().snapshotPrefix());
    assertEquals(
        r.merge().snapshotPrefix(),
        Files.readString(bucket.root().resolve("latest"), StandardCharsets.UTF_8));
    assertNull(r.publish().previousSnapshotPrefix());
    assertEquals(s.summary.recordsWritten(), r.merge().embeddings());
    Files.delete(snapshot.resolve(OutputManifest.FILE));
    assertEquals(0, ChromaDumps.queueRows(snapshot), "the published snapshot is ready to query");
    ChromaDumps.assertSameRecordsAndNeighbours(s.oracle, ChromaDumps.dump(snapshot));
    assertTrue(bucket.listKeys("intermediate/").isEmpty(), "intermediates are deleted");
    assertEquals(
        5, bucket.listKeys(BatchStore.PROCESSED_PREFIX).size(), "every delta is marked processed");
    assertTrue(run.run("second-execution").nothingToDo(), "a second run finds nothing to do");
  }

  @Test
  void aLaterBatchMergesOnTopOfThePublishedSnapshot() throws Exception {
    Scenario s = Scenario.get();
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    Path scratch = Files.createDirectories(tmp.resolve("scratch"));
    LocalRun.importDeltas(bucket, s.deltas.subList(0, 2));
    LocalRun.Result first =
        new LocalRun(bucket, LocalRun.Settings.defaults(), scratch, QUIET).run("first");
    LocalRun.importDeltas(bucket, s.deltas.subList(2, 5));
    LocalRun.Result second =
        new LocalRun(bucket, LocalRun.Settings.defaults(), scratch, QUIET).run("second");
    assertEquals(first.merge().snapshotPrefix(), second.publish().previousSnapshotPrefix());
    assertFalse(first.plan().batchId().equals(second.plan().batchId()));
    Path snapshot = bucket.root().resolve(second.merge().snapshotPrefix());
    Files.delete(snapshot.resolve(OutputManifest.FILE));
    assertEquals(0, ChromaDumps.queueRows(snapshot), "the published snapshot is ready to query");
    ChromaDumps.assertSameRecordsAndNeighbours(s.oracle, ChromaDumps.dump(snapshot));
  }

  @Test
  void aDeltaRefusedMidMergeIsQuarantinedAndLeavesNoTrace() throws Exception {
    Scenario s = Scenario.get();
    Path broken = tmp.resolve("01-big-without-hnsw");
    Scenario.copyTree(s.delta("01-big"), broken);
    String segment =
        s.coverage.path("01-big").path("collections").path("words").path("vectorSegment").asText();
    FileTrees.delete(broken.resolve(segment));
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    LocalRun.importDeltas(
        bucket, List.of(s.delta("00-base"), broken, s.delta("02-lines-tombstones")));
    LocalRun.Result r =
        new LocalRun(
                bucket,
                LocalRun.Settings.defaults(),
                Files.createDirectories(tmp.resolve("scratch")),
                QUIET)
            .run("x");
    var reason =
        new ObjectMapper()
            .readTree(
                bucket
                    .get(Quarantine.key(r.plan().batchId(), "deltas/01-big-without-hnsw/"))
                    .orElseThrow()
                    .body());
    assertEquals("MISSING_HNSW", reason.path("problem").asText());
    assertEquals(
        "CompactChunk",
        reason.path("step").asText(),
        "the census reads only sqlite; the merge finds it");
    Path snapshot = bucket.root().resolve(r.merge().snapshotPrefix());
    Path oracle = tmp.resolve("oracle.json");
    ChromaPython.run("oracle", oracle, List.of(s.delta("00-base"), s.delta("02-lines-tombstones")));
    ChromaDumps.assertSameRecordsAndNeighbours(
        new ObjectMapper().readTree(oracle.toFile()), ChromaDumps.dump(snapshot));
  }

  @Test
  void manifestListsEveryFileWithItsChecksum() throws Exception {
    Scenario s = Scenario.get();
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    LocalRun.importDeltas(bucket, List.of(s.delta("00-base")));
    LocalRun.Result r =
        new LocalRun(
                bucket,
                LocalRun.Settings.defaults(),
                Files.createDirectories(tmp.resolve("scratch")),
                QUIET)
            .run("x");
    Path snapshot = bucket.root().resolve(r.merge().snapshotPrefix());
    OutputManifest m =
        OutputManifest.parse(Files.readAllBytes(snapshot.resolve(OutputManifest.FILE)));
    assertEquals(List.of(), m.verify(snapshot));
    assertEquals(List.of("deltas/00-base/"), m.deltaKeys());
    assertEquals(
        Map.of("lines", 150L, "words", 245L), m.records(), "00-base: 250 words less 5 deleted");
    Files.write(
        snapshot.resolve("chroma.sqlite3"), new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
    assertEquals(1, m.verify(snapshot).size(), "a changed file is reported");
  }
}
