package com.chromacompactor.workflow;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.storage.StorageKeys;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code _delta.json}, the commit marker a producer writes into {@code deltas/<name>/} after every
 * other file of the delta:
 *
 * <pre>
 * {"format": "chroma-compactor/delta", "version": 1, "sequence": 1765022400123,
 *  "files": [{"path": "chroma.sqlite3", "size": 163840, "sha256": "9f86d0…"}, …],
 *  "producer": "receipt-ocr@host-7", "createdAt": "2026-12-06T12:00:00.123Z"}
 * </pre>
 *
 * {@code format}, {@code version} and {@code sequence} (a non-negative integer: milliseconds since
 * the epoch, or a counter) are required; {@code files} (every file of the delta with its size and
 * SHA-256, paths relative to the delta's folder), {@code producer} and {@code createdAt} (ISO-8601)
 * are optional. Deltas merge in {@code sequence} order, then by key. A marker that breaks these
 * rules is a bad delta ({@link DeltaProblem#BAD_MARKER}); any other field is refused too, so that a
 * typo is not silently ignored.
 *
 * @param sequence the delta's place in its lineage's write order
 * @param files the delta's files as the producer wrote them, or empty when the marker does not list
 *     them
 * @param producer who wrote it, or null
 * @param createdAt when the producer made it, or null
 */
public record DeltaMarker(
    long sequence, Optional<List<FileEntry>> files, String producer, Instant createdAt) {
  public static final String FILE = "_delta.json";
  public static final String FORMAT = "chroma-compactor/delta";
  public static final int VERSION = 1;

  private static final JsonFactory JSON = new JsonFactory();
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /**
   * One file of the delta: its path inside the delta folder, size in bytes, and lowercase hex
   * SHA-256.
   */
  public record FileEntry(String path, long size, String sha256) {}

  public DeltaMarker {
    if (sequence < 0) {
      throw new IllegalArgumentException("sequence must be >= 0, got " + sequence);
    }
    files = files.map(List::copyOf);
  }

  /**
   * Reads a marker.
   *
   * @param delta names the delta in the refusal (its key)
   * @throws CorruptDeltaException {@link DeltaProblem#BAD_MARKER} naming what is wrong, with line
   *     and column
   */
  public static DeltaMarker parse(String delta, byte[] body) throws CorruptDeltaException {
    Long sequence = null;
    boolean formatSeen = false;
    boolean versionSeen = false;
    List<FileEntry> files = null;
    String producer = null;
    Instant createdAt = null;
    try (JsonParser p = JSON.createParser(body)) {
      expect(delta, p, p.nextToken() == JsonToken.START_OBJECT, "the file is not a JSON object");
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "format" -> {
            expect(
                delta,
                p,
                value == JsonToken.VALUE_STRING && FORMAT.equals(p.getText()),
                "\"format\" must be \"" + FORMAT + "\"");
            formatSeen = true;
          }
          case "version" -> {
            expect(
                delta,
                p,
                value == JsonToken.VALUE_NUMBER_INT
                    && p.getNumberType() == JsonParser.NumberType.INT
                    && p.getIntValue() == VERSION,
                "\"version\" must be " + VERSION);
            versionSeen = true;
          }
          case "sequence" -> {
            expect(
                delta,
                p,
                value == JsonToken.VALUE_NUMBER_INT
                    && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                    && p.getLongValue() >= 0,
                "\"sequence\" must be a non-negative integer (at most 2^63 - 1)");
            sequence = p.getLongValue();
          }
          case "files" -> files = readFiles(delta, p);
          case "producer" -> {
            expect(delta, p, value == JsonToken.VALUE_STRING, "\"producer\" must be a string");
            producer = p.getText();
          }
          case "createdAt" -> {
            expect(
                delta,
                p,
                value == JsonToken.VALUE_STRING,
                "\"createdAt\" must be an ISO-8601 string");
            try {
              createdAt = Instant.parse(p.getText());
            } catch (DateTimeParseException e) {
              expect(
                  delta,
                  p,
                  false,
                  "\"createdAt\" must be an ISO-8601 instant such as 2026-12-06T12:00:00Z, got \""
                      + p.getText()
                      + "\"");
            }
          }
          default -> expect(delta, p, false, "unknown field \"" + field + "\"");
        }
        expect(
            delta,
            p,
            seen(field, formatSeen, versionSeen),
            "\"format\" and \"version\" must come first");
      }
      expect(delta, p, t == JsonToken.END_OBJECT, "the object is not closed");
      expect(delta, p, p.nextToken() == null, "text after the object");
      expect(
          delta,
          p,
          formatSeen && versionSeen && sequence != null,
          "\"format\", \"version\" and \"sequence\" are required");
    } catch (CorruptDeltaException e) {
      throw e;
    } catch (JacksonException e) {
      throw refusal(
          delta,
          FILE
              + ": "
              + e.getOriginalMessage()
              + " (line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + ")");
    } catch (IOException e) {
      throw refusal(delta, FILE + ": " + e.getMessage()); // parsing a byte array: no I/O can fail
    }
    return new DeltaMarker(sequence, Optional.ofNullable(files), producer, createdAt);
  }

  /** Fields other than format and version may only follow both. */
  private static boolean seen(String field, boolean formatSeen, boolean versionSeen) {
    return field.equals("format") || field.equals("version") || (formatSeen && versionSeen);
  }

  private static List<FileEntry> readFiles(String delta, JsonParser p) throws IOException {
    expect(delta, p, p.currentToken() == JsonToken.START_ARRAY, "\"files\" must be an array");
    List<FileEntry> files = new ArrayList<>();
    Set<String> paths = new HashSet<>();
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      expect(delta, p, t == JsonToken.START_OBJECT, "each of \"files\" must be an object");
      String path = null;
      Long size = null;
      String sha256 = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "path" -> {
            expect(delta, p, value == JsonToken.VALUE_STRING, "\"path\" must be a string");
            path = p.getText();
          }
          case "size" -> {
            expect(
                delta,
                p,
                value == JsonToken.VALUE_NUMBER_INT
                    && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                    && p.getLongValue() >= 0,
                "\"size\" must be a non-negative integer");
            size = p.getLongValue();
          }
          case "sha256" -> {
            expect(
                delta,
                p,
                value == JsonToken.VALUE_STRING && SHA256.matcher(p.getText()).matches(),
                "\"sha256\" must be 64 lowercase hex digits");
            sha256 = p.getText();
          }
          default -> expect(delta, p, false, "unknown field \"" + field + "\" in \"files\"");
        }
      }
      expect(
          delta,
          p,
          path != null && size != null && sha256 != null,
          "each of \"files\" needs \"path\", \"size\" and \"sha256\"");
      try {
        StorageKeys.requireRelative(path);
      } catch (IllegalArgumentException e) {
        expect(delta, p, false, "\"files\": " + e.getMessage());
      }
      expect(delta, p, !path.equals(FILE), "\"files\" must not list the marker itself");
      expect(delta, p, paths.add(path), "\"files\" lists " + path + " twice");
      files.add(new FileEntry(path, size, sha256));
    }
    return files;
  }

  private static void expect(String delta, JsonParser p, boolean ok, String what)
      throws CorruptDeltaException {
    if (!ok) {
      throw refusal(
          delta,
          FILE
              + ": "
              + what
              + " (line "
              + p.currentLocation().getLineNr()
              + ", column "
              + p.currentLocation().getColumnNr()
              + ")");
    }
  }

  private static CorruptDeltaException refusal(String delta, String detail) {
    return DeltaRefusal.of(delta, DeltaProblem.BAD_MARKER, detail);
  }

  /** The marker's JSON, fields in the documented order. */
  public byte[] toJson() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("format", FORMAT);
      g.writeNumberField("version", VERSION);
      g.writeNumberField("sequence", sequence);
      if (files.isPresent()) {
        g.writeArrayFieldStart("files");
        for (FileEntry f : files.get()) {
          g.writeStartObject();
          g.writeStringField("path", f.path());
          g.writeNumberField("size", f.size());
          g.writeStringField("sha256", f.sha256());
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      if (producer != null) {
        g.writeStringField("producer", producer);
      }
      if (createdAt != null) {
        g.writeStringField("createdAt", createdAt.toString());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("writing JSON to memory", e);
    }
    return out.toByteArray();
  }
}
