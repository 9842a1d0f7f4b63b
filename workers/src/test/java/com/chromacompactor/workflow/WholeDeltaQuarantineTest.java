package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.FinalMergeOutput;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.ChromaPython;
import com.chromacompactor.testing.Scenario;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delta with good records in one collection and bad ones in another is planned into two chunks,
 * one per collection. The chunk of the bad collection quarantines it; the other chunk merged it.
 * The published snapshot must still hold nothing of it, in either collection: it equals the
 * chromadb oracle of the other deltas.
 */
class WholeDeltaQuarantineTest {
  private static final String BAD = "deltas/00-base-bad-words/";
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void aDeltaRefusedInOneCollectionLeavesNothingInAnyCollectionInParallelMode() throws Exception {
    assertWholeDeltaLeftOut(Long.MAX_VALUE, CompactionMode.PARALLEL);
  }

  @Test
  void aDeltaRefusedInOneCollectionLeavesNothingInAnyCollectionInSequentialMode() throws Exception {
    assertWholeDeltaLeftOut(0, CompactionMode.SEQUENTIAL);
  }

  private void assertWholeDeltaLeftOut(long parallelModeMax, CompactionMode expectedMode)
      throws Exception {
    List<Path> good = goodDeltas();
    LocalBlobStore bucket = bucketWithTheBatch();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    LocalRun.Result r =
        new LocalRun(
                bucket,
                new LocalRun.Settings(ChunkSizes.defaults(), parallelModeMax, "quarantine"),
                Files.createDirectories(tmp.resolve("scratch")),
                new PrintStream(log, true, StandardCharsets.UTF_8))
            .run("whole-delta");
    String steps = log.toString(StandardCharsets.UTF_8);
    assertEquals(expectedMode, r.mode());

    // Quarantined with its reason, by the chunk that found it; the DONE marker is the quarantine's,
    // not Cleanup's.
    JsonNode reason =
        JSON.readTree(bucket.get(Quarantine.key(r.plan().batchId(), BAD)).orElseThrow().body());
    assertEquals("WRONG_DIMENSION", reason.path("problem").asText(), reason.toString());
    assertEquals("CompactChunk", reason.path("step").asText());
    JsonNode done = JSON.readTree(bucket.get(BatchStore.processedMarker(BAD)).orElseThrow().body());
    assertEquals(
        BAD,
        done.path("deltaKey").asText(),
        "marked by the quarantine, not as consumed by Cleanup: " + done);

    // The snapshot: nothing of the bad delta, in either collection.
    Path snapshot = bucket.root().resolve(r.merge().snapshotPrefix());
    OutputManifest manifest =
        OutputManifest.parse(Files.readAllBytes(snapshot.resolve(OutputManifest.FILE)));
    assertEquals(
        List.of("deltas/01-big/", "deltas/02-lines-tombstones/"),
        manifest.deltaKeys().stream().sorted().toList());
    assertEquals(List.of(BAD), manifest.quarantinedOrNone());
    JsonNode expected = oracle(good);
    Files.delete(snapshot.resolve(OutputManifest.FILE));
    JsonNode actual = ChromaDumps.dump(snapshot);
    assertFalse(
        actual.path("collections").path("lines").path("records").toString().contains("\"l0050\""),
        "a lines record only the quarantined delta wrote");
    ChromaDumps.assertSameRecordsAndNeighbours(expected, actual);

    // The counts agree: per collection as chromadb counts them, and in the run's tally.
    long oracleIds = 0;
    for (String name : ChromaDumps.names(expected.path("collections"))) {
      long count = expected.path("collections").path(name).path("count").asLong();
      assertEquals(count, manifest.records().get(name), name);
      oracleIds += count;
    }
    assertEquals(oracleIds, r.merge().embeddings());
    assertEquals(new LocalRun.Tally(2, 1, 0, 0, r.deltas().recordsRead(), oracleIds), r.deltas());
    assertTrue(bucket.listKeys("intermediate/").isEmpty(), "intermediates are deleted");
    assertTrue(
        steps.contains("FinalMerge: chunk "),
        "FinalMerge says which chunk it merged again:\n" + steps);
  }

  /**
   * FinalMerge dies after it merged the lines chunk again, before the snapshot is complete: the
   * retry converges to the same snapshot (the chunk's own intermediate is never changed, so the
   * retry sees the same inputs).
   */
  @Test
  void aFinalMergeRetriedAfterItMergedAChunkAgainConverges() throws Exception {
    LocalBlobStore bucket = bucketWithTheBatch();
    Map<WorkflowStep, ActivityHandler> steps = WorkflowSteps.over(bucket, ChunkSizes.defaults());
    PlanOutput plan = InProcessTask.plan(steps, "retry", tmp);
    InProcessTask.chunks(
        steps, plan, CompactionMode.SEQUENTIAL, tmp, InProcessTask.AfterChunk.NOTHING);
    InProcessTask.finalMerge(steps, plan, CompactionMode.SEQUENTIAL, tmp);
    String intermediates = "intermediate/" + plan.batchId() + "/";
    List<String> again =
        bucket.listKeys(intermediates).stream()
            .filter(k -> k.contains("-without/") && k.endsWith(OutputManifest.FILE))
            .toList();
    assertEquals(
        1, again.size(), "the lines chunk, merged again: " + bucket.listKeys(intermediates));
    OutputManifest linesAgain = OutputManifest.parse(bucket.get(again.get(0)).orElseThrow().body());
    assertEquals(List.of("deltas/02-lines-tombstones/"), linesAgain.deltaKeys());
    String original = again.get(0).replace("-without/", "/");
    assertTrue(
        OutputManifest.parse(bucket.get(original).orElseThrow().body()).deltaKeys().contains(BAD),
        "the chunk's own intermediate is as the chunk wrote it");
    String snapshot = BatchStore.snapshotPrefix(plan.batchId());
    byte[] firstManifest = bucket.get(snapshot + OutputManifest.FILE).orElseThrow().body();

    // The worker died before the snapshot was complete: its manifest (written last) is not there.
    bucket.delete(List.of(snapshot + OutputManifest.FILE));
    InProcessTask.finalMerge(steps, plan, CompactionMode.SEQUENTIAL, tmp);
    OutputManifest retried =
        OutputManifest.parse(bucket.get(snapshot + OutputManifest.FILE).orElseThrow().body());
    assertEquals(
        OutputManifest.parse(firstManifest).records(),
        retried.records(),
        "the same records per collection");
    assertEquals(OutputManifest.parse(firstManifest).deltaKeys(), retried.deltaKeys());
    assertEquals(List.of(BAD), retried.quarantinedOrNone());
    Path copy = tmp.resolve("snapshot");
    Scenario.copyTree(bucket.root().resolve(snapshot), copy);
    Files.delete(copy.resolve(OutputManifest.FILE));
    ChromaDumps.assertSameRecordsAndNeighbours(oracle(goodDeltas()), ChromaDumps.dump(copy));
  }

  /**
   * A delta that one chunk merged and a later chunk found changed (it no longer matches its marker,
   * as while a producer re-uploads it) is deferred by that chunk: FinalMerge leaves it out of every
   * chunk, the snapshot holds nothing of it, it stays pending (neither consumed nor quarantined),
   * and the next run, once it matches again, merges it.
   */
  @Test
  void aDeltaDeferredByOneChunkIsLeftOutOfAnotherThatMergedItAndMergedByTheNextRun()
      throws Exception {
    Scenario s = Scenario.get();
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    Path base = s.delta("00-base");
    // 00-base is written last (sequence 2), so that the next run merges it in write order: a late
    // delta would lose whole to the partial updates of 02 (docs/architecture.md, the gate).
    DeltaPush.push(bucket, Lineage.NONE, s.delta("01-big"), "01-big", 0, "test");
    DeltaPush.push(
        bucket, Lineage.NONE, s.delta("02-lines-tombstones"), "02-lines-tombstones", 1, "test");
    String key = DeltaPush.push(bucket, Lineage.NONE, base, "00-base", 2, "test").key();
    Map<WorkflowStep, ActivityHandler> steps =
        WorkflowSteps.over(
            bucket,
            WorkflowSteps.Settings.defaults(ChunkSizes.defaults())
                .withClock(Clock.offset(Clock.systemUTC(), Duration.ofHours(2))));
    PlanOutput plan = InProcessTask.plan(steps, "one", tmp);
    String sqlite = key + "chroma.sqlite3";
    byte[] original = Files.readAllBytes(base.resolve("chroma.sqlite3"));
    int[] mergedBy = {-1};
    int[] deferredBy = {-1};
    InProcessTask.chunks(
        steps,
        plan,
        CompactionMode.PARALLEL,
        tmp,
        (p, i) -> {
          OutputManifest chunk =
              OutputManifest.parse(
                  bucket
                      .get(StorageLayout.intermediatePrefix(p.batchId(), i) + OutputManifest.FILE)
                      .orElseThrow()
                      .body());
          if (mergedBy[0] < 0 && chunk.deltaKeys().contains(key)) {
            mergedBy[0] = i;
            // changed behind the marker's back once one chunk has merged it
            bucket.put(sqlite, Arrays.copyOf(original, original.length + 1));
          } else if (chunk.deferredOrNone().contains(key)) {
            deferredBy[0] = i;
          }
        });
    assertTrue(
        mergedBy[0] >= 0 && deferredBy[0] > mergedBy[0],
        "merged by " + mergedBy[0] + ", deferred by " + deferredBy[0]);
    FinalMergeOutput merge = InProcessTask.finalMerge(steps, plan, CompactionMode.PARALLEL, tmp);
    InProcessTask.Merged first = new InProcessTask.Merged(plan, merge);
    InProcessTask.publishAndClean(steps, first, tmp);
    OutputManifest published =
        new BatchStore(bucket).manifest(merge.snapshotPrefix()).orElseThrow();
    assertEquals(List.of(key), published.deferredOrNone());
    assertFalse(published.deltaKeys().contains(key), published.deltaKeys().toString());
    assertEquals(List.of(), published.quarantinedOrNone());
    assertTrue(bucket.get(BatchStore.processedMarker(key)).isEmpty(), "still pending");
    Path firstCopy = tmp.resolve("first");
    Scenario.copyTree(bucket.root().resolve(merge.snapshotPrefix()), firstCopy);
    Files.delete(firstCopy.resolve(OutputManifest.FILE));
    ChromaDumps.assertSameRecordsAndNeighbours(oracle(goodDeltas()), ChromaDumps.dump(firstCopy));

    // It matches its marker again: the next run merges it, after the two others.
    bucket.put(sqlite, original);
    InProcessTask.Merged next = InProcessTask.planAndMerge(steps, "two", tmp, () -> {});
    InProcessTask.publishAndClean(steps, next, tmp);
    OutputManifest second =
        new BatchStore(bucket).manifest(next.merge().snapshotPrefix()).orElseThrow();
    assertEquals(List.of(key), second.deltaKeys());
    assertTrue(bucket.get(BatchStore.processedMarker(key)).isPresent(), "consumed");
    Path secondCopy = tmp.resolve("second");
    Scenario.copyTree(bucket.root().resolve(next.merge().snapshotPrefix()), secondCopy);
    Files.delete(secondCopy.resolve(OutputManifest.FILE));
    ChromaDumps.assertSameRecordsAndNeighbours(
        oracle(List.of(s.delta("01-big"), s.delta("02-lines-tombstones"), base)),
        ChromaDumps.dump(secondCopy));
  }

  /** 01-big (words) and 02-lines-tombstones (lines, receipts, tombstones of both). */
  private static List<Path> goodDeltas() {
    Scenario s = Scenario.get();
    return List.of(s.delta("01-big"), s.delta("02-lines-tombstones"));
  }

  /**
   * A bucket holding the bad delta, then the good ones. The bad one is 00-base with its words
   * vectors one float instead of 1536, its lines good. 02-lines-tombstones overwrites l0100..l0149
   * and deletes l0000, l0001; l0002..l0099 are the bad delta's alone, so any of its lines in the
   * snapshot shows.
   */
  private LocalBlobStore bucketWithTheBatch() throws Exception {
    Path bad = tmp.resolve("00-base-bad-words");
    Scenario.copyTree(Scenario.get().delta("00-base"), bad);
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + bad.resolve("chroma.sqlite3"));
        Statement st = db.createStatement()) {
      assertTrue(
          st.executeUpdate(
                  "UPDATE embeddings_queue SET vector = X'0000803F'"
                      + " WHERE id LIKE 'w%' AND vector IS NOT NULL")
              > 200,
          "the words vectors are made one float long");
    }
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    List<Path> good = goodDeltas();
    assertEquals(3, LocalRun.importDeltas(bucket, List.of(bad, good.get(0), good.get(1))));
    return bucket;
  }

  private JsonNode oracle(List<Path> deltas) throws Exception {
    Path oracle = tmp.resolve("oracle.json");
    ChromaPython.run("oracle", oracle, deltas);
    return JSON.readTree(oracle.toFile());
  }
}
