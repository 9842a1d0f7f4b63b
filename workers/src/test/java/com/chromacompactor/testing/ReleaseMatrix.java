package com.chromacompactor.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * One delta made by each release of {@link ChromaRelease} (release_fixtures.py delta: a cosine
 * collection partly flushed to HNSW files, queue rows, upserts, an update and deletes, an l2
 * collection, float metadata; 1.5.9's with array metadata too), and what that release answers for
 * it. Built once per test JVM; consecutive releases' deltas share 1,000 ids, so a mix of them
 * upserts across families.
 */
public final class ReleaseMatrix {
  public static final String SCRIPT = "release_fixtures.py";
  private static ReleaseMatrix instance;

  public final Path root;
  private final Map<ChromaRelease, Path> deltas = new EnumMap<>(ChromaRelease.class);
  private final Map<ChromaRelease, Path> dumps = new EnumMap<>(ChromaRelease.class);

  /** 1.5.9's delta without array metadata, which every target can hold. */
  public final Path plain15;

  public final Path plain15Dump;

  private ReleaseMatrix(Path root) {
    this.root = root;
    for (ChromaRelease r : ChromaRelease.values()) {
      Path delta = root.resolve("deltas").resolve(r.ordinal() + "-chromadb-" + r.version());
      ChromaPython.runWith(
          r, SCRIPT, "delta", delta, r.ordinal(), r == ChromaRelease.V1_5_9 ? "arrays" : "plain");
      Path dump = root.resolve("dumps").resolve(r.version() + ".json");
      ChromaPython.runWith(r, SCRIPT, "dump", mkdirs(dump), delta);
      deltas.put(r, delta);
      dumps.put(r, dump);
    }
    plain15 = root.resolve("deltas").resolve("6-chromadb-1.5.9-plain");
    ChromaPython.runWith(
        ChromaRelease.V1_5_9, SCRIPT, "delta", plain15, ChromaRelease.V1_5_9.ordinal(), "plain");
    plain15Dump = root.resolve("dumps").resolve("1.5.9-plain.json");
    ChromaPython.runWith(ChromaRelease.V1_5_9, SCRIPT, "dump", plain15Dump, plain15);
  }

  public static synchronized ReleaseMatrix get() {
    if (instance == null) {
      instance = new ReleaseMatrix(TempTrees.create("compactor-releases-"));
    }
    return instance;
  }

  public Path delta(ChromaRelease r) {
    return deltas.get(r);
  }

  /** The dump file of what {@code r} answers for its own delta. */
  public Path dumpFile(ChromaRelease r) {
    return dumps.get(r);
  }

  /** What {@code r} answers for its own delta. */
  public JsonNode dump(ChromaRelease r) {
    return read(dumps.get(r)).get(0);
  }

  /** Every release's delta, in release order. */
  public List<Path> allDeltas() {
    return List.copyOf(deltas.values());
  }

  /**
   * Every release's delta in release order, 1.5.9's without arrays (what every target can hold).
   */
  public List<Path> plainDeltas() {
    return deltas.entrySet().stream()
        .map(e -> e.getKey() == ChromaRelease.V1_5_9 ? plain15 : e.getValue())
        .toList();
  }

  public List<Path> plainDumpFiles() {
    return dumps.entrySet().stream()
        .map(e -> e.getKey() == ChromaRelease.V1_5_9 ? plain15Dump : e.getValue())
        .toList();
  }

  public static JsonNode read(Path json) {
    try {
      return new ObjectMapper().readTree(json.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path mkdirs(Path file) {
    try {
      Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }
}
