package com.chromacompactor.reader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.ChunkTask;
import com.chromacompactor.statemachine.contract.CleanupInput;
import com.chromacompactor.statemachine.contract.CollectGarbageInput;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.CompactionRequest;
import com.chromacompactor.statemachine.contract.FinalMergeInput;
import com.chromacompactor.statemachine.contract.FinalMergeOutput;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.PlanInput;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.PublishInput;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.HookedBucket;
import com.chromacompactor.testing.QuietTask;
import com.chromacompactor.testing.Series;
import com.chromacompactor.workflow.DeltaPush;
import com.chromacompactor.workflow.LocalRun;
import com.chromacompactor.workflow.OutputManifest;
import com.chromacompactor.workflow.Quarantine;
import com.chromacompactor.workflow.RetentionRules;
import com.chromacompactor.workflow.WorkflowSteps;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pull} on a local bucket with snapshots the workflow published from chromadb deltas: the
 * copy verified and opened by chromadb, already current, a changed byte refused, an interrupted
 * pull resumed, a pull during a publish, and the copies kept and removed.
 */
class SnapshotPullTest {
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  @TempDir Path tmp;

  @Test
  void aPullVerifiesTheLatestSnapshotMovesItIntoPlaceAndASecondFindsItCurrent() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    String published = publish(bucket, series, 0);
    Path dir = tmp.resolve("reader");
    HookedBucket counted = new HookedBucket(bucket);
    SnapshotPull pull = new SnapshotPull(counted, dir);

    SnapshotPull.Result first = pull.pull();
    assertEquals(SnapshotPull.Outcome.PULLED, first.outcome());
    String batch = batchOf(published);
    assertEquals(
        batch,
        Files.readSymbolicLink(dir.resolve(SnapshotPull.CURRENT)).toString(),
        "a relative link");
    OutputManifest manifest =
        OutputManifest.parse(Files.readAllBytes(dir.resolve(batch).resolve("manifest.json")));
    assertEquals(List.of(), manifest.verify(current(dir)), "every file as the manifest says");
    assertEquals(manifest.files().size(), first.downloaded());
    assertEquals(
        manifest.files().values().stream().mapToLong(OutputManifest.FileEntry::bytes).sum(),
        first.bytesDownloaded());
    assertEquals(List.of(".pull.lock", batch, "current"), listing(dir), "no staging left behind");
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0)), ChromaDumps.dump(current(dir)));

    int downloads = counted.downloads().size();
    SnapshotPull.Result again = pull.pull();
    assertEquals(SnapshotPull.Outcome.ALREADY_CURRENT, again.outcome());
    assertEquals(downloads, counted.downloads().size(), "already current: nothing downloaded");
  }

  @Test
  void aByteChangedInTheBucketIsRefusedAndCurrentIsLeftAsItWas() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    String old = publish(bucket, series, 0);
    Path dir = tmp.resolve("reader");
    new SnapshotPull(bucket, dir).pull();
    String fresh = publish(bucket, series, 1);
    Path victim;
    try (var walk = Files.walk(bucket.root().resolve(fresh))) {
      victim =
          walk.filter(f -> f.getFileName().toString().equals("data_level0.bin"))
              .findFirst()
              .orElseThrow();
    }
    try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
      f.seek(17);
      int b = f.read();
      f.seek(17);
      f.write(b ^ 0x01); // one bit of one byte: the size stays, the SHA-256 does not
    }
    SnapshotPull.RefusedSnapshotException refused =
        assertThrows(
            SnapshotPull.RefusedSnapshotException.class,
            () -> new SnapshotPull(bucket, dir).pull());
    String rel = bucket.root().resolve(fresh).relativize(victim).toString();
    assertTrue(
        refused
            .getMessage()
            .contains(
                fresh
                    + " is refused: "
                    + rel
                    + " is "
                    + Files.size(victim)
                    + " bytes with SHA-256 "),
        refused.getMessage());
    assertTrue(
        refused
            .getMessage()
            .contains("its manifest says " + Files.size(victim) + " bytes with SHA-256 "),
        refused.getMessage());
    assertTrue(refused.getMessage().endsWith("still names " + batchOf(old)), refused.getMessage());
    assertEquals(
        batchOf(old),
        Files.readSymbolicLink(dir.resolve("current")).toString(),
        "current unchanged");
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0)), ChromaDumps.dump(current(dir)));
    assertFalse(
        Files.exists(dir.resolve(batchOf(fresh))), "nothing of the damaged snapshot is in place");

    // a file the manifest lists that is not in the bucket: incomplete, refused the same way
    Files.delete(victim);
    SnapshotPull.RefusedSnapshotException missing =
        assertThrows(
            SnapshotPull.RefusedSnapshotException.class,
            () -> new SnapshotPull(bucket, dir).pull());
    assertTrue(
        missing.getMessage().contains(rel + " is in its manifest but not in the bucket"),
        missing.getMessage());
    assertEquals(batchOf(old), Files.readSymbolicLink(dir.resolve("current")).toString());
  }

  @Test
  void anInterruptedPullResumesWithoutDownloadingVerifiedFilesAgain() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    String old = publish(bucket, series, 0);
    Path dir = tmp.resolve("reader");
    new SnapshotPull(bucket, dir).pull();
    String fresh = publish(bucket, series, 1);
    int files =
        OutputManifest.parse(bucket.get(fresh + "manifest.json").orElseThrow().body())
            .files()
            .size();
    assertTrue(files >= 6, "enough files to stop half way: " + files);

    HookedBucket stopping = new HookedBucket(bucket).stopAfterDownloads(files / 2);
    assertThrows(HookedBucket.Stopped.class, () -> new SnapshotPull(stopping, dir).pull());
    assertEquals(
        batchOf(old),
        Files.readSymbolicLink(dir.resolve("current")).toString(),
        "not moved half way");
    List<String> verified = stopping.downloads();
    assertEquals(files / 2, verified.size());

    HookedBucket resumed = new HookedBucket(bucket);
    SnapshotPull.Result r = new SnapshotPull(resumed, dir).pull();
    assertEquals(files - files / 2, r.downloaded());
    assertEquals(files / 2, r.reused());
    Set<String> again = new HashSet<>(resumed.downloads());
    again.retainAll(verified);
    assertEquals(Set.of(), again, "no verified file is downloaded again");
    assertEquals(
        files, new HashSet<>(concat(verified, resumed.downloads())).size(), "and every file once");
    assertEquals(batchOf(fresh), Files.readSymbolicLink(dir.resolve("current")).toString());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1)), ChromaDumps.dump(current(dir)));
  }

  @Test
  void aPullDuringAPublishGivesACompleteSnapshotThatChromadbOpens() throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    String old = publish(bucket, series, 0);
    DeltaPush.push(bucket, Lineage.NONE, series.delta(1), "delta-01", 1, "test");
    // the next batch is merged; its Publish, Cleanup and a collection (keeping 2, no minimum age)
    // land between the
    // pull's read of latest and its downloads
    Map<WorkflowStep, ActivityHandler> steps =
        WorkflowSteps.over(
            bucket,
            WorkflowSteps.Settings.defaults(ChunkSizes.defaults())
                .withRetention(
                    new RetentionRules(2, Duration.ZERO, Duration.ZERO),
                    RetentionRules.Mode.DELETE));
    PlanOutput plan =
        step(
            steps,
            WorkflowStep.PLAN,
            new PlanInput(new CompactionRequest(null, null), "next"),
            PlanOutput.class);
    for (int i = 0; i < plan.chunkCount(); i++) {
      step(
          steps,
          WorkflowStep.COMPACT_CHUNK,
          new ChunkTask(plan.batchId(), plan.planKey(), i, CompactionMode.PARALLEL, plan.lineage()),
          Object.class);
    }
    FinalMergeOutput merged =
        step(
            steps,
            WorkflowStep.FINAL_MERGE,
            new FinalMergeInput(
                plan.batchId(),
                plan.planKey(),
                plan.chunkCount(),
                CompactionMode.PARALLEL,
                plan.lineage()),
            FinalMergeOutput.class);
    HookedBucket racing =
        new HookedBucket(bucket)
            .beforeFirstGet(
                k -> k.endsWith("manifest.json"),
                () -> {
                  step(
                      steps,
                      WorkflowStep.PUBLISH,
                      new PublishInput(plan.batchId(), merged.snapshotPrefix(), plan.lineage()),
                      Object.class);
                  step(
                      steps,
                      WorkflowStep.CLEANUP,
                      new CleanupInput(
                          plan.batchId(), plan.planKey(), plan.chunkCount(), plan.lineage()),
                      Object.class);
                  step(
                      steps,
                      WorkflowStep.COLLECT_GARBAGE,
                      new CollectGarbageInput(Lineage.NONE),
                      Object.class);
                });
    Path dir = tmp.resolve("reader");
    SnapshotPull.Result during = new SnapshotPull(racing, dir).pull();
    assertEquals(old, during.snapshotPrefix(), "the snapshot latest named when the pull read it");
    assertEquals(
        new String(bucket.get("latest").orElseThrow().body(), StandardCharsets.UTF_8),
        merged.snapshotPrefix(),
        "published meanwhile");
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0)), ChromaDumps.dump(current(dir)));

    SnapshotPull.Result after = new SnapshotPull(bucket, dir).pull();
    assertEquals(merged.snapshotPrefix(), after.snapshotPrefix());
    assertEquals(batchOf(old), after.previous());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1)), ChromaDumps.dump(current(dir)));
  }

  @Test
  void thePreviousCopyIsKeptOlderOnesAreRemovedAndTheReadersOwnFilesAreLeftAlone()
      throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    Path dir = Files.createDirectories(tmp.resolve("reader"));
    Files.createDirectories(dir.resolve("notes"));
    Files.writeString(dir.resolve("notes/todo.txt"), "mine");
    List<String> batches = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      batches.add(batchOf(publish(bucket, series, i)));
      SnapshotPull.Result r = new SnapshotPull(bucket, dir).pull();
      assertEquals(i == 0 ? null : batches.get(i - 1), r.previous());
      assertEquals(i == 2 ? List.of(batches.get(0)) : List.of(), r.removed());
    }
    assertEquals(
        Stream.of(".pull.lock", batches.get(1), batches.get(2), "current", "notes")
            .sorted()
            .toList(),
        listing(dir));
    assertEquals("mine", Files.readString(dir.resolve("notes/todo.txt")));
    assertEquals(List.of(), Quarantine.list(bucket, Lineage.NONE));
  }

  // ---------------------------------------------------------------- helpers

  private String publish(LocalBlobStore bucket, Series series, int i) throws Exception {
    DeltaPush.push(
        bucket, Lineage.NONE, series.delta(i), series.delta(i).getFileName().toString(), i, "test");
    LocalRun.Result r =
        new LocalRun(
                bucket, LocalRun.Settings.defaults(), Files.createTempDirectory(tmp, "run-"), QUIET)
            .run("run-" + i);
    return r.publish().snapshotPrefix();
  }

  /**
   * The folder DIR/current names (opened by its name, as a reader does: tools do not walk into a
   * link).
   */
  private static Path current(Path dir) throws Exception {
    return dir.resolve(SnapshotPull.CURRENT).toRealPath();
  }

  private static String batchOf(String snapshotPrefix) {
    return snapshotPrefix.substring("snapshots/".length(), snapshotPrefix.length() - 1);
  }

  private static List<String> listing(Path dir) throws Exception {
    try (var children = Files.list(dir)) {
      return children.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** One step's handler in this JVM, as a worker runs it. */
  private <T> T step(
      Map<WorkflowStep, ActivityHandler> steps, WorkflowStep step, Object input, Class<T> type)
      throws Exception {
    Path work = Files.createTempDirectory(tmp, "task-");
    String out = steps.get(step).handle(JSON.writeValueAsString(input), QuietTask.in(work));
    return JSON.readValue(out, type);
  }
}
