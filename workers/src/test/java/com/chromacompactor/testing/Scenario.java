package com.chromacompactor.testing;

import com.chromacompactor.cli.LocalDeltaFolders;
import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.merge.CompactionSummary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The engine scenario, built once per test JVM: deltas made by real chromadb, our snapshot of them,
 * and what real chromadb answers for our snapshot and for its own oracle (see chroma_fixtures.py).
 */
public final class Scenario {
  private static Scenario instance;

  public final Path root;
  public final List<Path> deltas;
  public final Path snapshot;
  public final CompactionSummary summary;
  public final JsonNode coverage;
  public final JsonNode oracle;
  public final JsonNode actual;

  private Scenario(Path root) throws IOException {
    this.root = root;
    ChromaPython.run("scenario", root.resolve("scenario"));
    deltas = LocalDeltaFolders.expand(List.of(root.resolve("scenario/deltas")));
    snapshot = root.resolve("snapshot");
    summary = new Compaction(CompactionListener.NONE).run(deltas, snapshot);
    ObjectMapper json = new ObjectMapper();
    coverage = json.readTree(root.resolve("scenario/scenario.json").toFile());
    // Dump our snapshot from a copy: opening it lets Chroma build its index in place.
    Path opened = root.resolve("snapshot-opened");
    copyTree(snapshot, opened);
    ChromaPython.run("dump", root.resolve("actual.json"), opened);
    ChromaPython.run("oracle", root.resolve("oracle.json"), deltas);
    oracle = json.readTree(root.resolve("oracle.json").toFile());
    actual = json.readTree(root.resolve("actual.json").toFile());
  }

  public static synchronized Scenario get() {
    if (instance == null) {
      try {
        instance = new Scenario(TempTrees.create("compactor-scenario-"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return instance;
  }

  /** A delta of the scenario by folder name, e.g. {@code 01-big}. */
  public Path delta(String name) {
    return root.resolve("scenario/deltas").resolve(name);
  }

  public static void copyTree(Path from, Path to) throws IOException {
    try (var walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
