package com.chromacompactor.cli;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.workflow.DeltaPush;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code compactor push}: a producer's upload of one closed Chroma directory, committed with a
 * marker.
 */
@Command(
    name = "push",
    mixinStandardHelpOptions = true,
    description = {
      "Uploads a closed Chroma directory as the delta deltas/<name>/: every file first, then the commit marker",
      "_delta.json (sequence, and each file's size and SHA-256), last. Until the marker is there, runs leave the",
      "delta alone. Exit 0 when the delta is committed."
    })
final class PushCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin BucketOptions bucketOptions;

  @Option(
      names = "--name",
      description =
          "The delta's folder name. Default: a time-ordered unique name such as"
              + " 20261206T120000123Z-3f9a1c2e.")
  String name;

  @Option(
      names = "--sequence",
      paramLabel = "N",
      description =
          "The delta's place in the write order (deltas merge by sequence, then name). Default: the current"
              + " time in milliseconds since the epoch.")
  Long sequence;

  @Option(
      names = "--producer",
      description = "Who wrote the delta, recorded in the marker. Default: compactor push.")
  String producer = "compactor push";

  @Option(
      names = "--replace",
      description =
          "Overwrite a committed delta of that name (a fix of a quarantined one,"
              + " before compactor quarantine release). Its marker goes first, so no run takes it half replaced.")
  boolean replace;

  @Parameters(
      index = "0",
      paramLabel = "CHROMA_DIR",
      description =
          "A Chroma directory whose client is closed (PersistentClient ... client.close()).")
  Path delta;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      Instant now = Instant.now();
      BlobStore bucket = bucketOptions.open();
      DeltaPush.Pushed pushed =
          DeltaPush.push(
              bucket,
              bucketOptions.lineage(),
              delta,
              name != null ? name : DeltaPush.timeOrderedName(now),
              sequence != null ? sequence : now.toEpochMilli(),
              producer,
              replace ? DeltaPush.Mode.REPLACE : DeltaPush.Mode.NEW);
      out.printf(
          "committed %s%s in %s: %d files, sequence %d%n",
          bucketOptions.lineage().root(),
          pushed.key(),
          bucketOptions.describe(),
          pushed.files(),
          pushed.marker().sequence());
      out.flush();
      return 0;
    } catch (CorruptDeltaException e) {
      err.println("error: " + e.getMessage());
    } catch (IOException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
    }
    err.flush();
    return CompactorCli.EXIT_FAILED;
  }
}
