package com.chromacompactor.statemachine.contract;

import java.util.Collections;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How many deltas Plan puts into one chunk, per collection: a size for each collection named in
 * {@link #byCollection}, {@link #defaultSize} for every other one. A chunk is one worker's merge,
 * so a collection whose deltas are large (many records each) gets fewer per chunk. The CLI ({@code
 * --chunk-size NAME=N}, {@code --chunk-size-default N}), the worker's environment ({@link
 * WorkerEnvironment#CHUNK_SIZES}, {@link WorkerEnvironment#CHUNK_SIZE_DEFAULT}) and the CDK context
 * ({@code chunkSizes}, {@code chunkSizeDefault}) all give it; the mapping's text is {@code
 * name=N,name=N}, which {@link #parseMapping} reads and {@link #formatMapping} writes.
 *
 * @param defaultSize deltas per chunk of a collection the mapping does not name, at least 1
 * @param byCollection deltas per chunk by collection name, each at least 1
 */
public record ChunkSizes(int defaultSize, Map<String, Integer> byCollection) {
  /** Deltas per chunk of a collection the mapping does not name, unless configured. */
  public static final int DEFAULT_SIZE = 25;

  /**
   * Chroma's collection names: letters, digits, '.', '_' and '-', starting with a letter or digit.
   */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  public ChunkSizes {
    requireSize("the default chunk size", defaultSize);
    TreeMap<String, Integer> sorted = new TreeMap<>();
    byCollection.forEach(
        (name, size) -> {
          requireName(name);
          requireSize("the chunk size of " + name, size);
          sorted.put(name, size);
        });
    byCollection = Collections.unmodifiableSortedMap(sorted);
  }

  /** {@value #DEFAULT_SIZE} deltas per chunk for every collection. */
  public static ChunkSizes defaults() {
    return new ChunkSizes(DEFAULT_SIZE, Map.of());
  }

  /** {@code size} deltas per chunk for every collection. */
  public static ChunkSizes uniform(int size) {
    return new ChunkSizes(size, Map.of());
  }

  /** Deltas per chunk of {@code collection}. */
  public int of(String collection) {
    return byCollection.getOrDefault(collection, defaultSize);
  }

  /**
   * Reads {@code name=N,name=N} (blank: no entries).
   *
   * @param what names the setting in the message, e.g. {@code COMPACTOR_CHUNK_SIZES}
   * @throws IllegalArgumentException naming the setting and the entry that is wrong
   */
  public static Map<String, Integer> parseMapping(String what, String text) {
    TreeMap<String, Integer> sizes = new TreeMap<>();
    if (text == null || text.isBlank()) {
      return sizes;
    }
    for (String entry : text.split(",", -1)) {
      int eq = entry.indexOf('=');
      String name = eq < 0 ? entry.trim() : entry.substring(0, eq).trim();
      if (eq < 0 || name.isEmpty()) {
        throw new IllegalArgumentException(
            what
                + " must be collection=N entries separated by commas, got '"
                + entry.trim()
                + "' in '"
                + text
                + "'");
      }
      if (sizes.put(name, parseSize(what + " of " + name, entry.substring(eq + 1))) != null) {
        throw new IllegalArgumentException(what + " names collection " + name + " twice");
      }
    }
    try {
      return new ChunkSizes(1, sizes).byCollection();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a whole number of deltas per chunk, at least 1.
   *
   * @param what names the setting in the message, e.g. {@code COMPACTOR_CHUNK_SIZE_DEFAULT}
   */
  public static int parseSize(String what, String text) {
    int size;
    try {
      size = Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          what + " must be a whole number of deltas, got '" + text.trim() + "'", e);
    }
    requireSize(what, size);
    return size;
  }

  /**
   * The mapping as {@link #parseMapping} reads it: {@code name=N,name=N}, sorted by name; empty for
   * none.
   */
  public String formatMapping() {
    StringJoiner text = new StringJoiner(",");
    byCollection.forEach((name, size) -> text.add(name + "=" + size));
    return text.toString();
  }

  private static void requireSize(String what, int size) {
    if (size < 1) {
      throw new IllegalArgumentException(what + " must be at least 1 delta, got " + size);
    }
  }

  private static void requireName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "'"
              + name
              + "' is not a collection name (letters, digits, '.', '_'"
              + " and '-', starting with a letter or digit)");
    }
  }
}
