package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.PlanOutput;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.Scenario;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker that dies in FinalMerge, after part of the new snapshot is uploaded: nothing torn is
 * published, {@code latest} still names the previous complete snapshot, and running the step again
 * converges to the snapshot chromadb would hold.
 */
class CrashRecoveryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
  @TempDir Path tmp;

  @Test
  void crashInFinalMergeLeavesTheOldSnapshotPublishedAndARerunConverges() throws Exception {
    Scenario s = Scenario.get();
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    Path scratch = Files.createDirectories(tmp.resolve("scratch"));
    LocalRun.importDeltas(bucket, List.of(s.delta("00-base")));
    LocalRun.Result first =
        new LocalRun(bucket, LocalRun.Settings.defaults(), scratch, QUIET).run("first");
    String previous = first.publish().snapshotPrefix();

    LocalRun.importDeltas(bucket, s.deltas.subList(1, 5));
    CrashingStore crashing = new CrashingStore(bucket, "snapshots/", OutputManifest.FILE);
    Map<WorkflowStep, ActivityHandler> dying = WorkflowSteps.over(crashing, ChunkSizes.defaults());
    PlanOutput plan =
        JSON.readValue(
            call(dying, WorkflowStep.PLAN, "{\"executionName\":\"second\"}"), PlanOutput.class);
    for (int i = 0; i < plan.chunkCount(); i++) {
      call(dying, WorkflowStep.COMPACT_CHUNK, task(plan, i));
    }
    String merge =
        "{\"batchId\":\""
            + plan.batchId()
            + "\",\"planKey\":\""
            + plan.planKey()
            + "\",\"chunkCount\":"
            + plan.chunkCount()
            + ",\"mode\":\"SEQUENTIAL\"}";
    assertThrows(
        IOException.class, () -> call(dying, WorkflowStep.FINAL_MERGE, merge), "the worker dies");
    String torn = "snapshots/" + plan.batchId() + "/";
    assertTrue(
        bucket.listKeys(torn).contains(torn + "chroma.sqlite3"),
        "part of the snapshot was uploaded");
    assertEquals(previous, latest(bucket), "latest still names the previous complete snapshot");
    String publish = "{\"batchId\":\"" + plan.batchId() + "\",\"snapshotPrefix\":\"" + torn + "\"}";
    TaskFailure refused =
        assertThrows(TaskFailure.class, () -> call(dying, WorkflowStep.PUBLISH, publish));
    assertEquals(
        ErrorNames.INVALID_INPUT,
        refused.errorName(),
        "a snapshot without its manifest is never published");

    // The retry, on a healthy worker: the same steps converge.
    Map<WorkflowStep, ActivityHandler> healthy = WorkflowSteps.over(bucket, ChunkSizes.defaults());
    call(healthy, WorkflowStep.FINAL_MERGE, merge);
    call(healthy, WorkflowStep.PUBLISH, publish);
    assertEquals(torn, latest(bucket));
    Path snapshot = bucket.root().resolve(torn);
    ChromaDumps.assertSameRecordsAndNeighbours(s.oracle, ChromaDumps.dump(snapshot));
  }

  private static String task(PlanOutput p, int i) {
    return "{\"batchId\":\""
        + p.batchId()
        + "\",\"planKey\":\""
        + p.planKey()
        + "\",\"chunkIndex\":"
        + i
        + ",\"mode\":\"SEQUENTIAL\"}";
  }

  private static String latest(BlobStore bucket) throws IOException {
    return new String(bucket.get("latest").orElseThrow().body(), StandardCharsets.UTF_8);
  }

  private String call(Map<WorkflowStep, ActivityHandler> steps, WorkflowStep step, String input)
      throws Exception {
    return InProcessTask.run(steps, step, input, tmp);
  }

  /**
   * A bucket whose writer dies when it uploads {@code fileName} under {@code prefix}: a crash
   * mid-upload.
   */
  private static final class CrashingStore implements BlobStore {
    private final BlobStore delegate;
    private final String prefix;
    private final String fileName;

    CrashingStore(BlobStore delegate, String prefix, String fileName) {
      this.delegate = delegate;
      this.prefix = prefix;
      this.fileName = fileName;
    }

    @Override
    public void upload(Path source, String key) throws IOException {
      if (key.startsWith(prefix) && key.endsWith("/" + fileName)) {
        throw new IOException("worker died while uploading " + key);
      }
      delegate.upload(source, key);
    }

    @Override
    public List<String> listFolders(String p) throws IOException {
      return delegate.listFolders(p);
    }

    @Override
    public List<Listed> list(String p) throws IOException {
      return delegate.list(p);
    }

    @Override
    public Optional<Blob> get(String key) throws IOException {
      return delegate.get(key);
    }

    @Override
    public void download(String key, Path target) throws IOException {
      delegate.download(key, target);
    }

    @Override
    public void put(String key, byte[] body) throws IOException {
      delegate.put(key, body);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] body) throws IOException {
      return delegate.putIfAbsent(key, body);
    }

    @Override
    public boolean putIfMatch(String key, byte[] body, String etag) throws IOException {
      return delegate.putIfMatch(key, body, etag);
    }

    @Override
    public void delete(List<String> keys) throws IOException {
      delegate.delete(keys);
    }

    @Override
    public String describe() {
      return delegate.describe();
    }
  }
}
