package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.Scenario;
import com.chromacompactor.testing.SqliteDamage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each step's contract on a local bucket: what it refuses, and what it does when run twice. */
class WorkflowStepsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;
  private LocalBlobStore bucket;
  private Map<WorkflowStep, ActivityHandler> steps;

  @BeforeEach
  void setUp() throws Exception {
    bucket = new LocalBlobStore(tmp.resolve("bucket"));
    steps = WorkflowSteps.over(bucket, ChunkSizes.uniform(1));
    LocalRun.importDeltas(
        bucket,
        List.of(Scenario.get().delta("00-base"), Scenario.get().delta("02-lines-tombstones")));
  }

  @Test
  void theWorkersChunkSizesComeFromTheEnvironment() {
    assertEquals(ChunkSizes.defaults(), WorkflowSteps.chunkSizes(Map.of()));
    assertEquals(
        new ChunkSizes(20, Map.of("receipt_words", 15, "password_lines", 40)),
        WorkflowSteps.chunkSizes(
            Map.of(
                WorkerEnvironment.CHUNK_SIZES,
                "receipt_words=15,password_lines=40",
                WorkerEnvironment.CHUNK_SIZE_DEFAULT,
                "20")));
    assertEquals(
        new ChunkSizes(ChunkSizes.DEFAULT_SIZE, Map.of()),
        WorkflowSteps.chunkSizes(
            Map.of(WorkerEnvironment.CHUNK_SIZES, "", WorkerEnvironment.CHUNK_SIZE_DEFAULT, "")),
        "set but empty: none");
    assertEquals(
        "COMPACTOR_CHUNK_SIZE_DEFAULT must be at least 1 delta, got 0",
        assertThrows(
                IllegalArgumentException.class,
                () -> WorkflowSteps.chunkSizes(Map.of(WorkerEnvironment.CHUNK_SIZE_DEFAULT, "0")))
            .getMessage());
  }

  @Test
  void planRefusesKeysThatEscapeTheDeltasPrefix() {
    for (String key :
        List.of("deltas/../latest/", "snapshots/x/", "deltas//x/", "deltas/x", "/etc/passwd/")) {
      TaskFailure f =
          assertThrows(
              TaskFailure.class,
              () ->
                  call(
                      WorkflowStep.PLAN,
                      "{\"request\":{\"deltaKeys\":[\"" + key + "\"]},\"executionName\":\"e\"}"),
              key);
      assertEquals(ErrorNames.INVALID_INPUT, f.errorName());
      assertTrue(f.getMessage().contains(key), f.getMessage());
    }
  }

  @Test
  void planRefusesADeltaListedTwice() {
    TaskFailure f =
        assertThrows(
            TaskFailure.class,
            () ->
                call(
                    WorkflowStep.PLAN,
                    "{\"request\":{\"deltaKeys\":[\"deltas/00-base/\",\"deltas/00-base/\"]},\"executionName\":\"e\"}"));
    assertEquals(ErrorNames.INVALID_INPUT, f.errorName());
    assertTrue(f.getMessage().contains("listed twice"), f.getMessage());
  }

  @Test
  void planRefusesMissingOrAbsurdFields() {
    for (String input :
        List.of(
            "{}",
            "{\"executionName\":\"\"}",
            "[1,2]",
            "not json",
            "{\"executionName\":\"" + "x".repeat(81) + "\"}",
            "{\"request\":{\"prefix\":\"latest\"},\"executionName\":\"e\"}")) {
      TaskFailure f = assertThrows(TaskFailure.class, () -> call(WorkflowStep.PLAN, input), input);
      assertEquals(ErrorNames.INVALID_INPUT, f.errorName(), input);
    }
  }

  @Test
  void secondExecutionOfTheSameBatchFindsNothingToDoButARetryOfTheFirstDoes() throws Exception {
    PlanOutput first = plan("execution-1");
    // one delta per chunk: lines 00, 02; receipts 02; words 00, 02 (its tombstones)
    assertEquals(5, first.chunkCount());
    PlanOutput retry = plan("execution-1");
    assertEquals(first, retry, "a retried Plan plans the same batch again");
    PlanOutput other = plan("execution-2");
    assertEquals(first.batchId(), other.batchId());
    assertEquals(0, other.chunkCount(), "the batch is claimed by execution-1");
  }

  @Test
  void compactChunkRetriedWritesTheSameBytes() throws Exception {
    PlanOutput p = plan("e");
    String task =
        "{\"batchId\":\""
            + p.batchId()
            + "\",\"planKey\":\""
            + p.planKey()
            + "\",\"chunkIndex\":1,\"mode\":\"SEQUENTIAL\"}";
    call(WorkflowStep.COMPACT_CHUNK, task);
    String prefix = "intermediate/" + p.batchId() + "/chunk-1/";
    byte[] first = bucket.get(prefix + OutputManifest.FILE).orElseThrow().body();
    call(WorkflowStep.COMPACT_CHUNK, task.replace("SEQUENTIAL", "PARALLEL"));
    byte[] second = bucket.get(prefix + OutputManifest.FILE).orElseThrow().body();
    assertEquals(
        new String(first), new String(second), "same files, sizes and SHA-256 in either mode");
    assertEquals(List.of(), OutputManifest.parse(second).verify(bucket.root().resolve(prefix)));
  }

  @Test
  void compactChunkRefusesAbsurdTasks() throws Exception {
    PlanOutput p = plan("e");
    String base = "\"batchId\":\"" + p.batchId() + "\",\"planKey\":\"" + p.planKey() + "\"";
    for (String input :
        List.of(
            "{" + base + ",\"chunkIndex\":-1,\"mode\":\"PARALLEL\"}",
            "{" + base + ",\"chunkIndex\":99,\"mode\":\"PARALLEL\"}",
            "{" + base + ",\"chunkIndex\":0}",
            "{" + base + ",\"chunkIndex\":0,\"mode\":\"FAST\"}",
            "{\"batchId\":\""
                + p.batchId()
                + "\",\"planKey\":\"plans/other/chunks.json\",\"chunkIndex\":0,\"mode\":\"PARALLEL\"}",
            "{\"batchId\":\"../x\",\"planKey\":\"plans/../x/chunks.json\",\"chunkIndex\":0,\"mode\":\"PARALLEL\"}")) {
      Exception e =
          assertThrows(Exception.class, () -> call(WorkflowStep.COMPACT_CHUNK, input), input);
      assertTrue(
          e instanceof TaskFailure f && f.errorName().equals(ErrorNames.INVALID_INPUT)
              || e instanceof IllegalArgumentException,
          input + " gave " + e);
    }
  }

  @Test
  void publishLosesWhenAnotherRunMovedLatestSinceItsMerge() throws Exception {
    PlanOutput a = plan("a");
    mergeAll(a);
    // A second batch, merged on the same (absent) base before a publishes.
    LocalRun.importDeltas(bucket, List.of(Scenario.get().delta("03-legacy-pickle")));
    PlanOutput b = plan("b");
    mergeAll(b);
    call(
        WorkflowStep.PUBLISH,
        "{\"batchId\":\""
            + b.batchId()
            + "\",\"snapshotPrefix\":\"snapshots/"
            + b.batchId()
            + "/\"}");
    TaskFailure f =
        assertThrows(
            TaskFailure.class,
            () ->
                call(
                    WorkflowStep.PUBLISH,
                    "{\"batchId\":\""
                        + a.batchId()
                        + "\",\"snapshotPrefix\":\"snapshots/"
                        + a.batchId()
                        + "/\"}"));
    assertEquals(ErrorNames.PUBLISH_CONFLICT, f.errorName());
    assertEquals(
        "snapshots/" + b.batchId() + "/", new String(bucket.get("latest").orElseThrow().body()));
    // Publishing b again (a retry) is a success that changes nothing.
    JsonNode again =
        JSON.readTree(
            call(
                WorkflowStep.PUBLISH,
                "{\"batchId\":\""
                    + b.batchId()
                    + "\",\"snapshotPrefix\":\"snapshots/"
                    + b.batchId()
                    + "/\"}"));
    assertEquals("snapshots/" + b.batchId() + "/", again.path("snapshotPrefix").asText());
  }

  @Test
  void publishRefusesASnapshotWithAFileMissingFromTheBucket() throws Exception {
    PlanOutput p = plan("e");
    mergeAll(p);
    String prefix = "snapshots/" + p.batchId() + "/";
    List<String> keys = bucket.listKeys(prefix);
    assertTrue(keys.contains(prefix + "chroma.sqlite3"), keys.toString());
    String index =
        keys.stream().filter(k -> k.endsWith("/link_lists.bin")).findFirst().orElseThrow();
    bucket.delete(List.of(index));
    TaskFailure f =
        assertThrows(
            TaskFailure.class,
            () ->
                call(
                    WorkflowStep.PUBLISH,
                    "{\"batchId\":\"" + p.batchId() + "\",\"snapshotPrefix\":\"" + prefix + "\"}"));
    assertEquals(ErrorNames.UNEXPECTED, f.errorName());
    assertTrue(
        f.getMessage().contains("1 of its files are missing, first [" + index + "]"),
        f.getMessage());
    assertTrue(bucket.get("latest").isEmpty(), "nothing published");
  }

  @Test
  void finalMergeRefusesAnIntermediateWhoseFilesDifferFromItsManifest() throws Exception {
    PlanOutput p = plan("e");
    for (int i = 0; i < p.chunkCount(); i++) {
      call(
          WorkflowStep.COMPACT_CHUNK,
          "{\"batchId\":\""
              + p.batchId()
              + "\",\"planKey\":\""
              + p.planKey()
              + "\",\"chunkIndex\":"
              + i
              + ",\"mode\":\"PARALLEL\"}");
    }
    Path damaged = bucket.root().resolve("intermediate/" + p.batchId() + "/chunk-2/chroma.sqlite3");
    Files.write(damaged, new byte[] {0}, StandardOpenOption.APPEND);
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                call(
                    WorkflowStep.FINAL_MERGE,
                    "{\"batchId\":\""
                        + p.batchId()
                        + "\",\"planKey\":\""
                        + p.planKey()
                        + "\",\"chunkCount\":"
                        + p.chunkCount()
                        + ",\"mode\":\"SEQUENTIAL\"}"));
    assertTrue(
        e.getMessage()
            .contains(
                "intermediate/"
                    + p.batchId()
                    + "/chunk-2/: files differ from its manifest:"
                    + " [chroma.sqlite3: expected"),
        e.getMessage());
    assertTrue(
        bucket.get("snapshots/" + p.batchId() + "/" + OutputManifest.FILE).isEmpty(),
        "no snapshot written");
  }

  /**
   * FinalMerge reads a published base without a second {@code quick_check} once its files match
   * their manifest. The guard that still stands if the manifest vouched for a broken file: the
   * output's own check before publishing.
   */
  @Test
  void aBaseItsManifestVouchesForIsReadAsIsAndABrokenOneIsStillNotPublished() throws Exception {
    InProcessTask.Merged first = InProcessTask.planAndMerge(steps, "first", tmp, () -> {});
    InProcessTask.publishAndClean(steps, first, tmp);
    String base = first.merge().snapshotPrefix();
    Path sqlite = bucket.root().resolve(base + "chroma.sqlite3");
    SqliteDamage.breakLastPage(sqlite);
    Path manifest = bucket.root().resolve(base + OutputManifest.FILE);
    ObjectNode json = (ObjectNode) JSON.readTree(manifest.toFile());
    ObjectNode entry = (ObjectNode) json.path("files").path("chroma.sqlite3");
    entry.put("bytes", Files.size(sqlite));
    entry.put("sha256", OutputManifest.sha256(sqlite));
    JSON.writeValue(manifest.toFile(), json);

    LocalRun.importDeltas(bucket, List.of(Scenario.get().delta("03-legacy-pickle")));
    PlanOutput second = InProcessTask.plan(steps, "second", tmp);
    InProcessTask.chunks(
        steps, second, CompactionMode.PARALLEL, tmp, InProcessTask.AfterChunk.NOTHING);
    Exception e =
        assertThrows(
            Exception.class,
            () -> InProcessTask.finalMerge(steps, second, CompactionMode.PARALLEL, tmp));
    // Not refused by a quick_check of the base: by the write that met the broken page.
    assertFalse(e.getMessage().contains("quick_check"), e.getMessage());
    assertTrue(e.getMessage().contains("malformed"), "the cause, not a failed rollback: " + e);
    assertEquals(base, new String(bucket.get("latest").orElseThrow().body()));
    assertTrue(
        bucket.get("snapshots/" + second.batchId() + "/" + OutputManifest.FILE).isEmpty(),
        "no snapshot written");
  }

  private void mergeAll(PlanOutput p) throws Exception {
    for (int i = 0; i < p.chunkCount(); i++) {
      call(
          WorkflowStep.COMPACT_CHUNK,
          "{\"batchId\":\""
              + p.batchId()
              + "\",\"planKey\":\""
              + p.planKey()
              + "\",\"chunkIndex\":"
              + i
              + ",\"mode\":\"PARALLEL\"}");
    }
    call(
        WorkflowStep.FINAL_MERGE,
        "{\"batchId\":\""
            + p.batchId()
            + "\",\"planKey\":\""
            + p.planKey()
            + "\",\"chunkCount\":"
            + p.chunkCount()
            + ",\"mode\":\"PARALLEL\"}");
  }

  private PlanOutput plan(String execution) throws Exception {
    return JSON.readValue(
        call(WorkflowStep.PLAN, "{\"request\":{},\"executionName\":\"" + execution + "\"}"),
        PlanOutput.class);
  }

  private String call(WorkflowStep step, String input) throws Exception {
    return InProcessTask.run(steps, step, input, tmp);
  }
}
