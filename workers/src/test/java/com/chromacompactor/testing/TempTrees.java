package com.chromacompactor.testing;

import com.chromacompactor.files.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Temporary folders for tests that outlive one test method (shared fixtures, Chroma's scratch
 * copies), deleted when the test JVM exits. A full test run writes several GB of deltas and
 * snapshots: left in the temporary directory, a few runs fill a developer's disk.
 */
public final class TempTrees {
  private static final List<Path> TREES = new ArrayList<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(TempTrees::deleteAll, "temp-trees-cleanup"));
  }

  private TempTrees() {}

  /** A new empty folder under the temporary directory, named {@code prefix…}. */
  public static Path create(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      synchronized (TREES) {
        TREES.add(dir);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteAll() {
    synchronized (TREES) {
      for (Path p : TREES) {
        try {
          FileTrees.delete(p);
        } catch (IOException e) {
          System.err.println("could not delete test folder " + p + ": " + e);
        }
      }
    }
  }
}
