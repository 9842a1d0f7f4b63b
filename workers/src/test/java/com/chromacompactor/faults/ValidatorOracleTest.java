package com.chromacompactor.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.files.FileTrees;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.Scenario;
import com.chromacompactor.workflow.LocalRun;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/**
 * The oracle tested: the validator (a fresh Python process with real chromadb) accepts a bucket
 * that a complete run left, and names each kind of damage: an index file deleted, a snapshot
 * missing one delta, a consumed delta that no snapshot holds, deltas left pending, a success that
 * is not visible, a good delta quarantined, a failed run that published, a delta that a running
 * batch needs gone. Buckets here are local folders made by the product's own local run, from the
 * sweep's start state.
 */
class ValidatorOracleTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  @TempDir Path tmp;

  @Test
  void aBucketThatACompleteRunLeftValidatesWithEveryDeltaAccountedFor() throws Exception {
    Path bucket = ranBatch("complete");
    FaultValidator.Report report = validate(bucket, expectAllConsumed());
    assertEquals(List.of(), report.violations());
    assertEquals(
        List.of(
            "deltas/d00-words/",
            "deltas/d01-lines/",
            "deltas/d02-words/",
            "deltas/d03-words/",
            "deltas/d04-lines/",
            "deltas/d05-receipts/"),
        strings(report.facts().path("modelDeltas")));
    assertEquals(List.of("deltas/d06-bad/"), strings(report.facts().path("quarantined")));
    assertEquals(List.of(), strings(report.facts().path("pending")));
    assertEquals(2, report.facts().path("chain").size(), "the batch's snapshot on top of the base");
    assertEquals(
        215,
        report.facts().path("records").path("words").asInt(),
        "words after upserts and tombstones");
  }

  @Test
  void theStartStateIsValidButNotLiveUntilTheBatchRuns() throws Exception {
    Path bucket = copyOfStart("start");
    FaultValidator.Report waiting =
        validate(bucket, new FaultValidator.Expectations(List.of(), List.of(), List.of(), false));
    assertEquals(
        List.of(), waiting.violations(), "the base snapshot equals the model of its two deltas");
    assertEquals(
        List.of(
            "deltas/d02-words/",
            "deltas/d03-words/",
            "deltas/d04-lines/",
            "deltas/d05-receipts/",
            "deltas/d06-bad/"),
        strings(waiting.facts().path("pending")));

    FaultValidator.Report stalled = validate(bucket, expectAllConsumed());
    assertEquals(List.of("NOT_LIVE"), checks(stalled));
    assertTrue(
        stalled.violations().get(0).detail().contains("5 deltas still pending"),
        stalled.toString());
    assertTrue(
        stalled.violations().get(0).detail().contains("by start-base"),
        "names the claims: " + stalled);
  }

  @Test
  void aDeletedIndexFileFailsIt() throws Exception {
    Path bucket = ranBatch("deleted-index");
    Path index;
    try (Stream<Path> files = Files.walk(bucket.resolve(latest(bucket)))) {
      index =
          files
              .filter(f -> f.getFileName().toString().equals("data_level0.bin"))
              .findFirst()
              .orElseThrow();
    }
    Files.delete(index);
    FaultValidator.Report report = validate(bucket, expectAllConsumed());
    String relative = bucket.relativize(index).toString();
    assertTrue(
        report.violations().stream()
            .anyMatch(
                v ->
                    v.check().equals("MANIFEST")
                        && v.detail()
                            .equals(relative + ": listed in the manifest, not in the bucket")),
        report.toString());
    assertTrue(
        report.has("OPEN") || report.has("INDEX"), "chromadb cannot use it either: " + report);
  }

  @Test
  void aSnapshotMissingOneDeltaFailsIt() throws Exception {
    Path bucket = ranBatch("missing-delta");
    Path without = copyOfStart("without-d03");
    FileTrees.delete(without.resolve("deltas/d03-words"));
    new LocalRun(
            new LocalBlobStore(without),
            settings(),
            Files.createDirectories(tmp.resolve("scratch-w")),
            QUIET)
        .run("local");
    // The published snapshot is swapped for one made without d03, with its own manifest: files that
    // check.
    Path published = bucket.resolve(latest(bucket));
    FileTrees.delete(published);
    Scenario.copyTree(without.resolve(latest(without)), published);

    FaultValidator.Report lost = validate(bucket, expectAllConsumed());
    assertTrue(
        lost.violations().stream()
            .anyMatch(
                v ->
                    v.check().equals("LOST")
                        && v.detail().startsWith("deltas/d03-words/ is marked processed")),
        lost.toString());

    // The same snapshot, with a manifest that claims d03 as well: its records are what is wrong.
    ObjectNode manifest = (ObjectNode) JSON.readTree(published.resolve("manifest.json").toFile());
    ArrayNode keys = (ArrayNode) manifest.get("deltaKeys");
    keys.add("deltas/d03-words/");
    JSON.writeValue(published.resolve("manifest.json").toFile(), manifest);
    FaultValidator.Report wrong = validate(bucket, expectAllConsumed());
    assertTrue(
        wrong.violations().stream()
            .anyMatch(
                v ->
                    v.check().equals("MODEL")
                        && v.detail()
                            .contains("collection words: 40 records missing, first ['w0180'")),
        wrong.toString());
    assertTrue(
        wrong.violations().stream()
            .anyMatch(
                v -> v.check().equals("MODEL") && v.detail().contains("record w0005 differs")),
        "d03's upsert of w0005 is missing: " + wrong);
  }

  @Test
  void aSuccessThatIsNotVisibleAndAFailureThatPublishedAreBothNamed() throws Exception {
    Path bucket = ranBatch("reports");
    String published = latest(bucket);
    SweepWorkflow.Execution claimed =
        new SweepWorkflow.Execution(
            "local", null, ExecutionStatus.FAILED, "Publish.Conflict", "latest moved", null, false);
    SweepWorkflow.Execution other =
        new SweepWorkflow.Execution(
            "other",
            null,
            ExecutionStatus.SUCCEEDED,
            null,
            null,
            "snapshots/b-0000000000000000/",
            false);
    FaultValidator.Report report =
        validate(
            bucket,
            new FaultValidator.Expectations(List.of(other), List.of(claimed), List.of(), true));
    assertEquals(List.of("SUCCESS_NOT_VISIBLE", "FAILED_BUT_PUBLISHED"), checks(report));
    assertTrue(
        report.violations().get(1).detail().contains("the snapshot " + published),
        report.toString());
  }

  @Test
  void aGoodDeltaInQuarantineFailsIt() throws Exception {
    Path bucket = ranBatch("quarantined");
    String batch = latest(bucket).split("/")[1];
    Files.writeString(
        bucket.resolve("quarantine/" + batch + "/d05-receipts.json"),
        "{\"deltaKey\":"
            + "\"deltas/d05-receipts/\",\"problem\":\"CORRUPT_SQLITE\",\"detail\":\"made up\"}",
        StandardCharsets.UTF_8);
    FaultValidator.Report report = validate(bucket, expectAllConsumed());
    assertTrue(
        report.violations().stream()
            .anyMatch(
                v ->
                    v.check().equals("QUARANTINE")
                        && v.detail()
                            .startsWith(
                                "deltas/d05-receipts/ is a good delta, quarantined as CORRUPT_SQLITE")),
        report.toString());
  }

  @Test
  void aDeltaThatARunningBatchNeedsMayNotBeGone() throws Exception {
    Path bucket = copyOfStart("needed");
    Files.createDirectories(bucket.resolve("plans/b-running"));
    Files.writeString(
        bucket.resolve("plans/b-running/chunks.json"),
        "[{\"chunkIndex\":0,\"collection\":\"words\","
            + "\"kind\":\"word\",\"deltaKeys\":[\"deltas/d02-words/\"],\"embeddings\":81}]",
        StandardCharsets.UTF_8);
    FileTrees.delete(bucket.resolve("deltas/d02-words"));
    FaultValidator.Report report =
        validate(
            bucket,
            new FaultValidator.Expectations(List.of(), List.of(), List.of("b-running"), false));
    assertEquals(List.of("LOST", "NEEDED"), checks(report));
    assertEquals(
        "running batch b-running needs deltas/d02-words/, which is gone",
        report.violations().get(1).detail());
  }

  // ---------------------------------------------------------------- helpers

  private Path copyOfStart(String name) throws Exception {
    Path bucket = tmp.resolve(name);
    Scenario.copyTree(StartState.get(StartState.Variant.WITH_BAD_DELTA).bucket, bucket);
    return bucket;
  }

  private Path ranBatch(String name) throws Exception {
    Path bucket = copyOfStart(name);
    LocalRun.Result result =
        new LocalRun(
                new LocalBlobStore(bucket),
                settings(),
                Files.createDirectories(tmp.resolve("scratch-" + name)),
                QUIET)
            .run("local");
    assertTrue(result.publish() != null, "the batch published");
    return bucket;
  }

  private static LocalRun.Settings settings() {
    return new LocalRun.Settings(StartState.CHUNK_SIZES, 1500, "quarantine");
  }

  private static FaultValidator.Expectations expectAllConsumed() {
    return new FaultValidator.Expectations(List.of(), List.of(), List.of(), true);
  }

  private FaultValidator.Report validate(Path bucket, FaultValidator.Expectations expect)
      throws Exception {
    return FaultValidator.validate(
        Files.createTempDirectory(tmp, "validate-"),
        Map.of("dir", bucket.toString()),
        StartState.get(StartState.Variant.WITH_BAD_DELTA).deltas,
        expect,
        tmp.resolve("model-cache"));
  }

  private static String latest(Path bucket) throws Exception {
    return Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8).trim();
  }

  private static List<String> checks(FaultValidator.Report report) {
    return report.violations().stream().map(FaultValidator.Violation::check).toList();
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
