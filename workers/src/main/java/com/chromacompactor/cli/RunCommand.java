package com.chromacompactor.cli;

import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.files.FileTrees;
import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.DurationText;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.workflow.IntakeRules;
import com.chromacompactor.workflow.LocalRun;
import com.chromacompactor.workflow.Quarantine;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code compactor run}: the whole workflow in this process, on a local bucket folder or an S3
 * bucket. On a cron, with {@code --bucket s3://...}, it is the single-machine deployment.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the workflow (plan, chunks, final merge, publish, cleanup, gc) in this process, on a local folder or S3.",
      "The bucket is laid out as deltas/<name>/, snapshots/<batch>/, latest (under <lineage>/ with --lineage).",
      "Deltas merge in the order of their commit markers' sequence (then key); unmarked ones once settled.",
      "Its last step applies the retention rules, as 'compactor gc' does; a failure there is reported and fails",
      "nothing. Exit 0 when a snapshot was published or there was nothing to do."
    })
final class RunCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin BucketOptions bucketOptions;

  @Mixin RetentionOptions retention;

  @Option(
      names = "--import-deltas",
      paramLabel = "DIR",
      description =
          "Commit these delta folders (or folders of delta folders) into the bucket's deltas/ first, as a"
              + " producer does (files, then a marker), in the order given.")
  List<Path> imports = List.of();

  @Option(
      names = "--parallel-mode-max-embeddings",
      defaultValue = "1500",
      description =
          "Batches with more embeddings run in sequential mode (default ${DEFAULT-VALUE}).")
  long threshold;

  @Option(
      names = "--chunk-size",
      paramLabel = "COLLECTION=N",
      description =
          "Deltas per chunk of this collection (repeatable, or name=N,name=N); a chunk is one merge, so"
              + " a collection whose deltas hold many records gets fewer. Others get --chunk-size-default.")
  List<String> chunkSizes = List.of();

  @Option(
      names = "--chunk-size-default",
      paramLabel = "N",
      defaultValue = "25",
      description =
          "Deltas per chunk of a collection no --chunk-size names. Default ${DEFAULT-VALUE}.")
  String chunkSizeDefault;

  @Option(
      names = "--on-bad-delta",
      defaultValue = "quarantine",
      description =
          "quarantine (record it under quarantine/<batch>/ with its reason, compact the rest) or fail"
              + " (the run fails naming it). Default ${DEFAULT-VALUE}.")
  String badDeltaPolicy;

  @Option(
      names = "--settle",
      paramLabel = "DURATION",
      defaultValue = "${env:COMPACTOR_SETTLE:-10m}",
      description =
          "An unmarked delta (no _delta.json) is taken once its newest file is this old: 0s, 30s, 10m, 1h."
              + " Default: COMPACTOR_SETTLE, else 10m.")
  String settle;

  @Option(
      names = "--incomplete-upload-limit",
      paramLabel = "DURATION",
      defaultValue = "${env:COMPACTOR_INCOMPLETE_UPLOAD_LIMIT:-24h}",
      description =
          "A delta still incomplete this long after its first file arrived is quarantined as"
              + " INCOMPLETE_UPLOAD. Default: COMPACTOR_INCOMPLETE_UPLOAD_LIMIT, else 24h.")
  String incompleteUploadLimit;

  @Option(
      names = "--claim-lease",
      paramLabel = "DURATION",
      defaultValue = "${env:COMPACTOR_CLAIM_LEASE:-3m}",
      description =
          "How long this run's claim of its batch holds unless renewed; the run renews it every third of"
              + " this while it runs. A run that was killed loses its batch to the next run this long after its last"
              + " renewal. Default: COMPACTOR_CLAIM_LEASE, else 3m.")
  String claimLease;

  @Option(
      names = "--chroma-version",
      paramLabel = "X.Y",
      defaultValue = "1.5",
      converter = CompactorCli.ChromaTargetConverter.class,
      description =
          "The chromadb release line of the snapshot's readers: 0.6 (0.5.6-0.6.3), 1.0 (1.0-1.2),"
              + " 1.3 (1.3-1.4) or 1.5. Default ${DEFAULT-VALUE}.")
  ChromaTarget chromaVersion;

  @Override
  public Integer call() throws Exception {
    ChunkSizes sizes = chunkSizes();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path scratch = null;
    try {
      IntakeRules rules =
          new IntakeRules(
              DurationText.parse("--settle", settle),
              DurationText.parse("--incomplete-upload-limit", incompleteUploadLimit));
      BlobStore bucket = bucketOptions.open();
      String where = bucketOptions.describe();
      if (!imports.isEmpty()) {
        int n =
            LocalRun.importDeltas(
                bucket, bucketOptions.lineage(), LocalDeltaFolders.expand(imports));
        out.println("imported " + n + " deltas into " + where + " " + StorageLayout.DELTAS_PREFIX);
      }
      scratch = Files.createTempDirectory("compactor-run-");
      LocalRun run =
          new LocalRun(
              bucket,
              new LocalRun.Settings(
                  sizes,
                  threshold,
                  badDeltaPolicy,
                  rules,
                  bucketOptions.lineage(),
                  chromaVersion,
                  retention.rules(),
                  DurationText.parse("--claim-lease", claimLease)),
              scratch,
              System.err);
      LocalRun.Result r = run.run("local-" + ProcessHandle.current().pid());
      int earlier = 0;
      for (Quarantine.Record q : Quarantine.list(bucket, bucketOptions.lineage())) {
        if (q.released()) {
          continue;
        }
        if (q.batchId().equals(r.plan().batchId())) {
          out.println(
              "quarantined: " + q.deltaKey() + " (" + q.problem() + ", batch " + q.batchId() + ")");
        } else {
          earlier++;
        }
      }
      if (earlier > 0) {
        out.println(
            "still quarantined by earlier batches: "
                + earlier
                + " (see 'compactor quarantine list')");
      }
      if (r.plan().waitingDeltas() > 0) {
        out.printf(
            "waiting: %d deltas not complete yet, the oldest for %d s%n",
            r.plan().waitingDeltas(), r.plan().oldestWaitingSeconds());
      }
      if (r.gc() != null && r.gc().objectsDeleted() > 0) {
        out.printf(
            Locale.ROOT,
            "gc: deleted %d snapshots, %d deltas, %d plans, %d leftovers: %d objects, %,d bytes"
                + " freed%n",
            r.gc().snapshotsDeleted(),
            r.gc().deltasDeleted(),
            r.gc().plansDeleted(),
            r.gc().leftoversDeleted(),
            r.gc().objectsDeleted(),
            r.gc().bytesFreed());
      }
      if (r.gcFailure() != null) {
        err.println(
            "warning: garbage collection failed, the run's result stands: " + r.gcFailure());
      }
      if (r.nothingToDo()) {
        out.println("nothing to compact in " + where + " " + StorageLayout.DELTAS_PREFIX);
      } else {
        LocalRun.Tally t = r.deltas();
        out.printf(
            Locale.ROOT,
            "published %s: %,d distinct ids; deltas: %d compacted (%,d records read),"
                + " %d quarantined (%d by Plan), %d deferred; %d chunks, %s mode; latest -> %s%n",
            location(bucket, r.merge().snapshotPrefix()),
            t.distinctIds(),
            t.compacted(),
            t.recordsRead(),
            t.quarantined(),
            t.quarantinedByPlan(),
            t.deferred(),
            r.plan().chunkCount(),
            r.mode(),
            r.publish().snapshotPrefix());
      }
      out.flush();
      return 0;
    } catch (CorruptDeltaException e) {
      err.println("error: " + e.getMessage());
    } catch (TaskFailure e) {
      err.println("error: " + e.errorName() + ": " + e.getMessage());
    } catch (IOException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
    } finally {
      if (scratch != null) {
        FileTrees.delete(scratch);
      }
    }
    err.flush();
    return CompactorCli.EXIT_FAILED;
  }

  /**
   * The {@code --chunk-size} options over {@code --chunk-size-default}; a wrong one is an option
   * error (exit 2).
   */
  private ChunkSizes chunkSizes() {
    try {
      return new ChunkSizes(
          ChunkSizes.parseSize("--chunk-size-default", chunkSizeDefault),
          ChunkSizes.parseMapping("--chunk-size", String.join(",", chunkSizes)));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** Where a key of the lineage is: a path under the folder, or s3://... */
  private String location(BlobStore bucket, String key) {
    return bucket.describe() + "/" + bucketOptions.lineage().root() + key;
  }
}
