package com.chromacompactor.cli;

import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.hnsw.IndexBuild;
import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.merge.CompactionOptions;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.merge.DeltaFeed;
import com.chromacompactor.snapshot.IndexedSnapshotWriter;
import com.chromacompactor.snapshot.QueueSnapshotWriter;
import com.chromacompactor.snapshot.SnapshotWriter;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** The {@code compactor} command line. */
@Command(
    name = "compactor",
    mixinStandardHelpOptions = true,
    version = "chroma-compactor 0.1.0",
    description =
        "Compacts chromadb delta directories (0.4.0 to 1.5.9) into one snapshot that chromadb opens.",
    subcommands = {
      CompactorCli.Compact.class,
      RunCommand.class,
      PushCommand.class,
      QuarantineCommand.class,
      GcCommand.class,
      PullCommand.class,
      VerifyCommand.class,
      WorkerCommand.class
    })
public final class CompactorCli implements Runnable {
  /** Exit code of a run that did not produce a complete snapshot. */
  static final int EXIT_FAILED = 1;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new CompactorCli());
    // Set on the root, it reaches every subcommand declared above (picocli copies it down the
    // tree).
    cli.setParameterExceptionHandler(CompactorCli::optionError);
    return cli;
  }

  /**
   * A wrong option or argument: one line on stderr, exit 2 ({@code ExitCode.USAGE}). The usage help
   * that picocli would print after it pushed the error off a screen; the line says where to find
   * it.
   */
  static int optionError(ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    PrintWriter err = command.getErr();
    err.println(
        "error: "
            + e.getMessage().strip().replaceAll("\\s*\\R\\s*", " ")
            + " (see '"
            + command.getCommandSpec().qualifiedName()
            + " --help')");
    err.flush();
    return command.getCommandSpec().exitCodeOnInvalidInput();
  }

  /**
   * Refuses, as an option error, a path argument that does not exist; {@code what} names it in the
   * message.
   */
  static void requireExisting(CommandLine command, String what, List<Path> paths) {
    for (Path p : paths) {
      if (!Files.exists(p)) {
        throw new ParameterException(command, what + " " + p + " does not exist");
      }
    }
  }

  /**
   * {@code --chroma-version}: a picocli error (one line, exit 2) names the versions and their
   * readers.
   */
  static final class ChromaTargetConverter implements CommandLine.ITypeConverter<ChromaTarget> {
    @Override
    public ChromaTarget convert(String value) {
      try {
        return ChromaTarget.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** Off a terminal: no progress line, but the notices of how the snapshot is built, on stderr. */
  private static final class NoticesOnly implements CompactionListener {
    private final PrintWriter err;

    NoticesOnly(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void deltaMerged(int done, int total, Path delta, long recordsRead) {}

    @Override
    public void notice(String message) {
      err.println("note: " + message);
      err.flush();
    }
  }

  /** The snapshot routes, as the option spells them. */
  enum SnapshotFormat {
    queue,
    indexed
  }

  @Command(
      name = "compact",
      mixinStandardHelpOptions = true,
      description = {
        "Merges deltas in the order given, with Chroma's upsert semantics, into a new snapshot.",
        "A folder that is not itself a delta stands for its sub-folders, sorted by name.",
        "Exit 0 only when the snapshot is complete; otherwise nothing is left at --out."
      })
  static final class Compact implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--out",
        required = true,
        description = "Snapshot directory to create (must not exist).")
    Path out;

    @Option(names = "--json", description = "Print one JSON summary line on stdout at the end.")
    boolean json;

    @Option(
        names = "--format",
        defaultValue = "indexed",
        description =
            "indexed: the compacted state with a built HNSW index, ready to query; queue: records in"
                + " Chroma's queue, indexed by Chroma when it first opens the snapshot. Default ${DEFAULT-VALUE}.")
    SnapshotFormat format;

    @Option(
        names = "--base",
        paramLabel = "SNAPSHOT",
        description =
            "A previous snapshot of this compactor that the deltas go on top of; with --format indexed"
                + " it is taken over as it stands and its index extended, not rebuilt.")
    Path base;

    @Option(
        names = "--chroma-version",
        paramLabel = "X.Y",
        defaultValue = "1.5",
        converter = ChromaTargetConverter.class,
        description =
            "The chromadb release line of the snapshot's readers: 0.6 (0.5.6-0.6.3), 1.0 (1.0-1.2),"
                + " 1.3 (1.3-1.4) or 1.5. Deltas of every release from 0.4.0 to 1.5.9 are read. Default ${DEFAULT-VALUE}.")
    ChromaTarget chromaVersion;

    int threads = Runtime.getRuntime().availableProcessors();

    @Option(
        names = "--threads",
        paramLabel = "N",
        description =
            "Threads for the index build (--format indexed), at least 1. Default: all processors.")
    void threads(int n) {
      if (n < 1) {
        throw new ParameterException(
            spec.commandLine(), "--threads must be at least 1, found " + n);
      }
      threads = n;
    }

    @Option(
        names = "--index-build",
        paramLabel = "exact|quantized",
        converter = IndexBuildConverter.class,
        description =
            "How the HNSW index is built (--format indexed): quantized searches on 8-bit codes and"
                + " selects neighbours by exact distance; exact takes every distance on the float vectors, as hnswlib"
                + " does. Default: quantized.")
    IndexBuild indexBuild = IndexBuild.DEFAULT;

    @Parameters(
        arity = "1..*",
        paramLabel = "DELTA",
        description = "Delta folders, or folders of delta folders.")
    List<Path> deltas;

    /** {@code exact} or {@code quantized}, in any case. */
    static final class IndexBuildConverter implements CommandLine.ITypeConverter<IndexBuild> {
      @Override
      public IndexBuild convert(String value) {
        return IndexBuild.parse(value);
      }
    }

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      PrintWriter stdout = spec.commandLine().getOut();
      requireExisting(spec.commandLine(), "delta", deltas);
      if (base != null) {
        requireExisting(spec.commandLine(), "base snapshot", List.of(base));
      }
      try {
        List<Path> ordered = LocalDeltaFolders.expand(deltas);
        CompactionListener progress =
            System.console() != null ? new ProgressLine(System.err) : new NoticesOnly(err);
        SnapshotWriter.Factory writers =
            format == SnapshotFormat.indexed
                ? IndexedSnapshotWriter.factory(threads, chromaVersion, indexBuild)
                : QueueSnapshotWriter.factory(chromaVersion);
        DeltaFeed feed = base == null ? DeltaFeed.of(ordered) : DeltaFeed.withBase(base, ordered);
        CompactionSummary s =
            new Compaction(progress, writers).run(feed, out, CompactionOptions.snapshot());
        if (json) {
          stdout.println(new ObjectMapper().writeValueAsString(s));
        } else {
          stdout.printf(
              "snapshot %s: %d deltas, %d collections, %,d records read, %,d distinct ids written,"
                  + " %,d overwritten, %,d deleted by tombstones, peak heap %d MB, %.1f s%n",
              out,
              s.deltas(),
              s.collections(),
              s.recordsRead(),
              s.recordsWritten(),
              s.idsOverwritten(),
              s.tombstonesApplied(),
              s.peakHeapMb(),
              s.seconds());
        }
        stdout.flush();
        return 0;
      } catch (CorruptDeltaException e) {
        err.println("error: " + e.getMessage());
      } catch (IOException e) {
        err.println("error: " + e.getMessage());
      }
      err.flush();
      return EXIT_FAILED;
    }
  }
}
