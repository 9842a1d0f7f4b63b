package com.chromacompactor.cli;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.merge.Tombstones;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Turns command-line arguments into the ordered list of delta folders: a delta folder stands for
 * itself; any other folder stands for its sub-folders, sorted by name (hidden ones skipped). It
 * lives with the commands that take such arguments ({@code compact}, {@code verify}, {@code run
 * --import-deltas}): telling a delta folder from others needs the format and the tombstones, which
 * {@code storage} does not know.
 */
public final class LocalDeltaFolders {
  private LocalDeltaFolders() {}

  public static List<Path> expand(List<Path> arguments) throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path arg : arguments) {
      if (!Files.isDirectory(arg)) {
        throw new CorruptDeltaException(arg, DeltaProblem.NOT_CHROMA, "not a directory");
      }
      if (isDelta(arg)) {
        out.add(arg);
        continue;
      }
      try (Stream<Path> children = Files.list(arg)) {
        List<Path> deltas =
            children
                .filter(Files::isDirectory)
                .filter(p -> !p.getFileName().toString().startsWith("."))
                .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                .toList();
        if (deltas.isEmpty()) {
          throw new CorruptDeltaException(
              arg,
              DeltaProblem.NOT_CHROMA,
              "no " + DeltaReader.SQLITE_FILE + " and no delta folders inside");
        }
        out.addAll(deltas);
      }
    }
    return out;
  }

  /** A delta holds Chroma's database, or only tombstones (a producer that only deleted). */
  public static boolean isDelta(Path folder) {
    return Files.exists(folder.resolve(DeltaReader.SQLITE_FILE)) || Tombstones.present(folder);
  }
}
