package com.chromacompactor.merge;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tombstones an intermediate carries: appended to one scratch file per collection while the
 * merge runs (nothing held in memory), then written out as a {@code tombstones.json}.
 */
final class TombstoneLog implements AutoCloseable {
  private static final JsonFactory JSON = new JsonFactory();
  private final Path scratch;
  private final Map<String, BufferedWriter> files = new LinkedHashMap<>();
  private final Map<String, Path> paths = new LinkedHashMap<>();
  private final Map<String, Long> marks = new LinkedHashMap<>();

  TombstoneLog(Path scratch) {
    this.scratch = scratch;
  }

  void add(String collection, String id) throws IOException {
    BufferedWriter w = files.get(collection);
    if (w == null) {
      Path p = scratch.resolve("tombstones-" + files.size() + ".jsonl");
      paths.put(collection, p);
      w =
          Files.newBufferedWriter(
              p, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      files.put(collection, w);
    }
    // one JSON string per line: ids may hold any character
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
      g.writeString(id);
    }
    w.newLine();
  }

  /** Remembers where each file ends, for {@link #rollback()}: the start of one delta. */
  void begin() throws IOException {
    marks.clear();
    for (Map.Entry<String, BufferedWriter> e : files.entrySet()) {
      e.getValue().flush();
      marks.put(e.getKey(), Files.size(paths.get(e.getKey())));
    }
  }

  /** Forgets what the refused delta added since {@link #begin()}. */
  void rollback() throws IOException {
    for (String collection : List.copyOf(files.keySet())) {
      BufferedWriter w = files.get(collection);
      w.flush();
      Long mark = marks.get(collection);
      if (mark == null) {
        w.close();
        Files.delete(paths.remove(collection));
        files.remove(collection);
      } else {
        try (FileChannel ch = FileChannel.open(paths.get(collection), StandardOpenOption.WRITE)) {
          ch.truncate(mark);
        }
      }
    }
  }

  boolean isEmpty() {
    return files.isEmpty();
  }

  /** Writes {@code tombstones.json} into {@code folder}. */
  void writeTo(Path folder) throws IOException {
    for (BufferedWriter w : files.values()) {
      w.flush();
    }
    try (JsonGenerator g =
        JSON.createGenerator(Files.newBufferedWriter(folder.resolve(Tombstones.FILE)))) {
      g.writeStartObject();
      g.writeStringField("format", Tombstones.FORMAT);
      g.writeNumberField("version", Tombstones.VERSION);
      g.writeObjectFieldStart("collections");
      for (Map.Entry<String, Path> e : paths.entrySet()) {
        g.writeArrayFieldStart(e.getKey());
        try (BufferedReader r = Files.newBufferedReader(e.getValue(), StandardCharsets.UTF_8)) {
          String line;
          while ((line = r.readLine()) != null) {
            g.writeRawValue(line);
          }
        }
        g.writeEndArray();
      }
      g.writeEndObject();
      g.writeEndObject();
    }
  }

  @Override
  public void close() throws IOException {
    for (BufferedWriter w : files.values()) {
      w.close();
    }
  }
}
