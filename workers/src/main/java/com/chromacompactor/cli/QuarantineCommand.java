package com.chromacompactor.cli;

import com.chromacompactor.workflow.Quarantine;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code compactor quarantine list|release}: the deltas a run refused, and bringing one back. */
@Command(
    name = "quarantine",
    mixinStandardHelpOptions = true,
    description =
        "Deltas that runs refused: list them, or release one so that it is compacted again.",
    subcommands = {QuarantineCommand.ListQuarantined.class, QuarantineCommand.Release.class})
final class QuarantineCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "One line per quarantined delta: key, batch, problem, time, and the detail.",
        "With --all, released ones too."
      })
  static final class ListQuarantined implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin BucketOptions bucketOptions;

    @Option(names = "--all", description = "Also list deltas released already.")
    boolean all;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        List<Quarantine.Record> records =
            Quarantine.list(bucketOptions.open(), bucketOptions.lineage());
        int shown = 0;
        for (Quarantine.Record r : records) {
          if (r.released() && !all) {
            continue;
          }
          out.printf(
              "%s\tbatch %s\t%s\t%s\t%s%s%n",
              r.deltaKey(),
              r.batchId(),
              r.problem(),
              r.recordedAt(),
              r.detail(),
              r.released() ? "\treleased " + r.releasedAt() : "");
          shown++;
        }
        if (shown == 0) {
          out.println("no quarantined deltas in " + bucketOptions.describe());
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

  @Command(
      name = "release",
      mixinStandardHelpOptions = true,
      description = {
        "Makes a quarantined delta pending again (for instance after its producer replaced it): the next run",
        "compacts it at its own sequence. A key that is not quarantined is refused (exit 1)."
      })
  static final class Release implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin BucketOptions bucketOptions;

    @Parameters(
        index = "0",
        paramLabel = "DELTA_KEY",
        description = "The delta's key, e.g. deltas/2026-12-06-a/.")
    String deltaKey;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        List<Quarantine.Record> released =
            Quarantine.release(bucketOptions.open(), bucketOptions.lineage(), deltaKey);
        Quarantine.Record last = released.get(released.size() - 1);
        out.printf(
            "released %s (was %s in batch %s): pending again%n",
            last.deltaKey(), last.problem(), last.batchId());
        out.flush();
        return 0;
      } catch (IOException | IllegalArgumentException e) {
        err.println("error: " + e.getMessage());
        err.flush();
        return CompactorCli.EXIT_FAILED;
      }
    }
  }
}
