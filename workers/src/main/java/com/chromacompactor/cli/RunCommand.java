package com.chromacompactor.cli;

import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.storage.LocalDeltaFolders;
import com.chromacompactor.workflow.LocalRun;
import com.chromacompactor.workflow.Planner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code compactor run}: the whole workflow in this process, on a bucket that is a local folder. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the workflow (plan, chunks, final merge, publish, cleanup) locally, with no AWS.",
      "The bucket folder is laid out like the S3 bucket: deltas/<name>/, snapshots/<batch>/, latest.",
      "Exit 0 when a snapshot was published or there was nothing to do."
    })
final class RunCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--bucket-dir", required = true, description = "The local folder that stands for the bucket.")
  Path bucketDir;

  @Option(names = "--import-deltas", paramLabel = "DIR",
      description = "Copy these delta folders (or folders of delta folders) into the bucket's deltas/ first.")
  List<Path> imports = List.of();

  @Option(names = "--parallel-mode-max-embeddings", defaultValue = "1500",
      description = "Batches with more embeddings run in sequential mode (default ${DEFAULT-VALUE}).")
  long threshold;

  @Option(names = "--chunk-size-words", defaultValue = "15", description = "Deltas per chunk of word collections.")
  int wordChunk;

  @Option(names = "--chunk-size-lines", defaultValue = "25", description = "Deltas per chunk of line collections.")
  int lineChunk;

  @Option(names = "--chunk-size-other", defaultValue = "25", description = "Deltas per chunk of other collections.")
  int otherChunk;

  @Option(names = "--on-bad-delta", defaultValue = "quarantine",
      description = "quarantine (record it under quarantine/<batch>/ with its reason, compact the rest) or fail"
          + " (the run fails naming it). Default ${DEFAULT-VALUE}.")
  String badDeltaPolicy;

  @Option(names = "--chroma-version", paramLabel = "X.Y", defaultValue = "1.5",
      converter = CompactorCli.ChromaTargetConverter.class,
      description = "The chromadb release line of the snapshot's readers: 0.6 (0.5.6-0.6.3), 1.0 (1.0-1.2),"
          + " 1.3 (1.3-1.4) or 1.5. Default ${DEFAULT-VALUE}.")
  ChromaTarget chromaVersion;

  @Override
  public Integer call() throws Exception {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    LocalBlobStore bucket = new LocalBlobStore(bucketDir);
    if (!imports.isEmpty()) {
      int n = LocalRun.importDeltas(bucket, LocalDeltaFolders.expand(imports));
      out.println("imported " + n + " deltas into " + bucket.root().resolve("deltas"));
    }
    Path scratch = Files.createTempDirectory("compactor-run-");
    try {
      LocalRun run = new LocalRun(bucket, new LocalRun.Settings(new Planner.ChunkSizes(wordChunk, lineChunk,
          otherChunk), threshold, badDeltaPolicy, chromaVersion), scratch, System.err);
      LocalRun.Result r = run.run("local-" + ProcessHandle.current().pid());
      for (String key : bucket.listKeys("quarantine/")) {
        out.println("quarantined: " + bucket.root().resolve(key));
      }
      if (r.nothingToDo()) {
        out.println("nothing to compact in " + bucket.root().resolve("deltas"));
      } else {
        out.printf("published %s (%d embeddings, %d chunks, %s mode); latest -> %s%n",
            bucket.root().resolve(r.merge().snapshotPrefix()), r.merge().embeddings(), r.plan().chunkCount(),
            r.mode(), r.publish().snapshotPrefix());
      }
      out.flush();
      return 0;
    } catch (CorruptDeltaException e) {
      err.println("error: " + e.getMessage());
    } catch (TaskFailure e) {
      err.println("error: " + e.errorName() + ": " + e.getMessage());
    } finally {
      deleteQuietly(scratch);
    }
    err.flush();
    return CompactorCli.EXIT_FAILED;
  }

  private static void deleteQuietly(Path dir) throws java.io.IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
