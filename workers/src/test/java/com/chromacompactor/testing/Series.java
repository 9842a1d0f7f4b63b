package com.chromacompactor.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Twenty small deltas made by real chromadb, {@code delta-00} .. {@code delta-19}, whose write
 * order is their index (chroma_fixtures.py series): overlapping ids, tombstones, a scripted late
 * delete (delta 7 deletes p05 and p06, p05 is written again by delta 9) and a late write to an id
 * deleted later (delta 13 writes p30, delta 16 deletes it). Built once per test JVM; tests copy
 * what they change.
 */
public final class Series {
  public static final int SIZE = 20;
  private static Series instance;

  public final Path root;

  private Series(Path root) {
    this.root = root;
    ChromaPython.run("series", root.resolve("deltas"), SIZE);
  }

  public static synchronized Series get() {
    if (instance == null) {
      instance = new Series(TempTrees.create("compactor-series-"));
    }
    return instance;
  }

  /** Delta {@code i} (0-based), in write order. */
  public Path delta(int i) {
    return root.resolve("deltas").resolve(String.format("delta-%02d", i));
  }

  public List<Path> deltas(int... indexes) {
    return IntStream.of(indexes).mapToObj(this::delta).toList();
  }

  /**
   * What a chromadb that upserts {@code deltas} in this order holds (tombstones of each delta
   * first).
   */
  public static JsonNode oracle(List<Path> deltas) {
    try {
      Path out = Files.createTempFile(TempTrees.create("oracle-"), "oracle-", ".json");
      ChromaPython.run("oracle", out, deltas);
      return new ObjectMapper().readTree(out.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
