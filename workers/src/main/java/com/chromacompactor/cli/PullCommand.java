package com.chromacompactor.cli;

import com.chromacompactor.reader.SnapshotPull;
import com.chromacompactor.storage.RootedBlobStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code compactor pull}: a reader's private, verified copy of the latest snapshot, behind the link
 * DIR/current.
 */
@Command(
    name = "pull",
    mixinStandardHelpOptions = true,
    description = {
      "Downloads the snapshot that latest names into a hidden folder of DIR, checks every file against its manifest",
      "(size and SHA-256), moves it to DIR/<batch> and points the link DIR/current at it atomically. The previous",
      "copy is kept (a reader may still have it open), older ones removed. An interrupted pull resumes without",
      "downloading verified files again; a damaged or incomplete snapshot is refused and current stays as it was.",
      "Exit 0 when current names the latest snapshot."
    })
final class PullCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin BucketOptions bucketOptions;

  @Option(
      names = "--to",
      paramLabel = "DIR",
      required = true,
      description = "The reader's folder: DIR/current, DIR/<batch>. Created if missing.")
  Path to;

  @Option(
      names = "--watch",
      paramLabel = "SECONDS",
      description =
          "Check again every SECONDS seconds, until stopped; a failed pull is reported and tried again.")
  Integer watchSeconds;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (watchSeconds != null && watchSeconds < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--watch must be at least 1 second, got " + watchSeconds);
    }
    SnapshotPull pull;
    try {
      pull =
          new SnapshotPull(
              RootedBlobStore.under(bucketOptions.open(), bucketOptions.lineage().root()), to);
    } catch (IOException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return CompactorCli.EXIT_FAILED;
    }
    while (true) {
      int exit = once(pull, out, err);
      if (watchSeconds == null) {
        return exit;
      }
      try {
        Thread.sleep(Duration.ofSeconds(watchSeconds).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        out.println("stopped watching " + bucketOptions.describe());
        out.flush();
        return 0;
      }
    }
  }

  private int once(SnapshotPull pull, PrintWriter out, PrintWriter err) {
    try {
      SnapshotPull.Result r = pull.pull();
      Path link = to.resolve(SnapshotPull.CURRENT);
      if (r.outcome() == SnapshotPull.Outcome.ALREADY_CURRENT) {
        out.println(
            "already current: "
                + link
                + " -> "
                + r.folder().getFileName()
                + " ("
                + r.snapshotPrefix()
                + "); nothing to do");
      } else {
        out.printf(
            Locale.ROOT,
            "pulled %s into %s: %d files downloaded (%,d bytes), %d already verified;"
                + " %s -> %s%s%s%n",
            r.snapshotPrefix(),
            r.folder(),
            r.downloaded(),
            r.bytesDownloaded(),
            r.reused(),
            link,
            r.folder().getFileName(),
            r.previous() == null ? "" : "; kept the previous copy " + r.previous(),
            r.removed().isEmpty() ? "" : "; removed " + String.join(", ", r.removed()));
      }
      out.flush();
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return CompactorCli.EXIT_FAILED;
    }
  }
}
