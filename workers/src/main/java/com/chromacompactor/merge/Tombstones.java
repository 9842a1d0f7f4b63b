package com.chromacompactor.merge;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code tombstones.json}: ids a producer deleted, written beside (inside) a delta folder.
 *
 * <pre>
 * {"format": "chroma-compactor/tombstones", "version": 1,
 *  "collections": {"words": ["id-1", "id-2"], "lines": ["id-9"]}}
 * </pre>
 *
 * A delta's tombstones apply <em>before</em> its records: they delete what earlier deltas wrote,
 * and a record that the same delta holds again was re-added after its deletion. Collections are
 * named as in the default tenant and database. The file is read as a stream; ids are handed out one
 * at a time.
 */
public final class Tombstones {
  public static final String FILE = "tombstones.json";
  public static final String FORMAT = "chroma-compactor/tombstones";
  public static final int VERSION = 1;

  private static final JsonFactory JSON = new JsonFactory();

  /** Receives one tombstone. */
  @FunctionalInterface
  public interface Sink {
    void accept(String collection, String id) throws IOException;
  }

  private Tombstones() {}

  public static boolean present(Path delta) {
    return Files.isRegularFile(delta.resolve(FILE));
  }

  /** Streams every tombstone of the delta to the sink; a delta without the file has none. */
  public static void read(Path delta, Sink sink) throws IOException {
    Path file = delta.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return;
    }
    boolean formatSeen = false;
    boolean versionSeen = false;
    try (JsonParser p = JSON.createParser(file.toFile())) {
      expect(delta, p, p.nextToken() == JsonToken.START_OBJECT, "the file is not a JSON object");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "format":
            expect(
                delta,
                p,
                value == JsonToken.VALUE_STRING && FORMAT.equals(p.getText()),
                "\"format\" must be \"" + FORMAT + "\"");
            formatSeen = true;
            break;
          case "version":
            expect(
                delta,
                p,
                value == JsonToken.VALUE_NUMBER_INT && p.getIntValue() == VERSION,
                "\"version\" must be " + VERSION);
            versionSeen = true;
            break;
          case "collections":
            expect(
                delta, p, formatSeen && versionSeen, "\"format\" and \"version\" must come first");
            readCollections(delta, p, sink);
            break;
          default:
            expect(delta, p, false, "unknown field \"" + field + "\"");
        }
      }
      expect(delta, p, formatSeen && versionSeen, "\"format\" and \"version\" are required");
    } catch (CorruptDeltaException e) {
      throw e;
    } catch (IOException e) {
      if (e instanceof JacksonException) {
        throw new CorruptDeltaException(
            delta, DeltaProblem.BAD_TOMBSTONES, FILE + ": " + e.getMessage(), e);
      }
      throw e;
    }
  }

  private static void readCollections(Path delta, JsonParser p, Sink sink) throws IOException {
    expect(
        delta, p, p.currentToken() == JsonToken.START_OBJECT, "\"collections\" must be an object");
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String collection = p.currentName();
      expect(
          delta,
          p,
          p.nextToken() == JsonToken.START_ARRAY,
          "\"collections\".\"" + collection + "\" must be an array of ids");
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        expect(
            delta,
            p,
            t == JsonToken.VALUE_STRING && !p.getText().isEmpty(),
            "ids of \"" + collection + "\" must be non-empty strings");
        sink.accept(collection, p.getText());
      }
    }
  }

  private static void expect(Path delta, JsonParser p, boolean ok, String what)
      throws CorruptDeltaException {
    if (!ok) {
      throw new CorruptDeltaException(
          delta,
          DeltaProblem.BAD_TOMBSTONES,
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
}
