package com.chromacompactor.cli;

import com.chromacompactor.audit.AuditReport;
import com.chromacompactor.audit.SnapshotAudit;
import com.chromacompactor.chroma.CorruptDeltaException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code compactor verify}: proves that a snapshot holds exactly what its deltas say. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Re-derives, by streaming, every record the deltas and their tombstones leave (in the order given)",
      "and checks the snapshot against them: missing, extra or differing records (vector, document, uri,",
      "metadata). Exit 0 when the snapshot is intact, 1 otherwise."
    })
final class VerifyCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "SNAPSHOT",
      description = "A snapshot written by compactor.")
  Path snapshot;

  @Parameters(
      index = "1..*",
      arity = "1..*",
      paramLabel = "DELTA",
      description = "Its deltas, or folders of them.")
  List<Path> deltas;

  @Override
  public Integer call() throws IOException {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    CompactorCli.requireExisting(spec.commandLine(), "snapshot", List.of(snapshot));
    CompactorCli.requireExisting(spec.commandLine(), "delta", deltas);
    Path scratch = Files.createTempDirectory("compactor-verify-");
    try {
      AuditReport report = SnapshotAudit.run(snapshot, LocalDeltaFolders.expand(deltas), scratch);
      (report.intact() ? out : err).println(snapshot + ": " + report.describe());
      out.flush();
      err.flush();
      return report.intact() ? 0 : CompactorCli.EXIT_FAILED;
    } catch (CorruptDeltaException e) {
      // The audit reads the snapshot with the delta reader; a refusal of the snapshot names it as
      // such.
      err.println(
          "error: "
              + (e.delta().equals(snapshot)
                  ? "snapshot " + snapshot + ": " + e.problem() + ": " + e.detail()
                  : e.getMessage()));
      err.flush();
      return CompactorCli.EXIT_FAILED;
    } finally {
      Files.deleteIfExists(scratch);
    }
  }
}
