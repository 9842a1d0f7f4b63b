package com.chromacompactor.chroma;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code embeddings_queue.metadata} column: a compact JSON object in which the document is the
 * key {@code chroma:document}, the uri {@code chroma:uri}, and a {@code null} value deletes a key.
 *
 * <p>Doubles are written exactly as serde_json writes them in Chroma's own rows (see {@link
 * SerdeDoubles}), so that Chroma parses our rows to the floats it would have parsed from its own.
 */
public final class QueueJson {
  public static final String DOCUMENT_KEY = "chroma:document";
  public static final String URI_KEY = "chroma:uri";

  private static final JsonFactory FACTORY = new JsonFactory();

  private QueueJson() {}

  /** The queue form of a whole record's document, uri and metadata. */
  public static String write(EmbeddingRecord record) {
    Map<String, Object> values = new LinkedHashMap<>(record.metadata());
    if (record.document() != null) {
      values.put(DOCUMENT_KEY, record.document());
    }
    if (record.uri() != null) {
      values.put(URI_KEY, record.uri());
    }
    return write(values);
  }

  public static String write(Map<String, Object> values) {
    StringWriter out = new StringWriter(64 + values.size() * 24);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      for (Map.Entry<String, Object> e : values.entrySet()) {
        g.writeFieldName(e.getKey());
        writeValue(g, e.getValue());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static void writeValue(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Long l) {
      g.writeNumber(l);
    } else if (v instanceof Double d) {
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException("metadata float must be finite, found " + d);
      }
      g.writeNumber(SerdeDoubles.format(d));
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof List<?> list) {
      g.writeStartArray();
      for (Object item : list) {
        writeValue(g, item);
      }
      g.writeEndArray();
    } else {
      throw new IllegalArgumentException("unsupported metadata value " + v.getClass().getName());
    }
  }

  /**
   * Parses a queue metadata object into a patch: insertion-ordered, {@code null} meaning "delete
   * this key". Integers become {@link Long}, other numbers the {@link Double} their text names
   * exactly (the value {@link #write} wrote).
   *
   * @throws IllegalArgumentException when the text is not such an object
   */
  public static Map<String, Object> read(String json) {
    return read(json, FloatText.PYTHON_JSON);
  }

  /**
   * As {@link #read(String)}, with floats parsed as the release that wrote the text parses them.
   */
  public static Map<String, Object> read(String json, FloatText floats) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (json == null || json.isEmpty()) {
      return out;
    }
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException(
            "queue metadata is not a JSON object: " + abbreviate(json));
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        p.nextToken();
        out.put(key, readValue(p, json, floats));
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("queue metadata is not valid JSON: " + e.getMessage(), e);
    }
    return out;
  }

  private static Object readValue(JsonParser p, String json, FloatText floats) throws IOException {
    switch (p.currentToken()) {
      case VALUE_NULL:
        return null;
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        return p.getLongValue();
      case VALUE_NUMBER_FLOAT:
        return floats.parse(p.getText());
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case START_ARRAY:
        List<Object> items = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          items.add(readValue(p, json, floats));
        }
        return List.copyOf(items);
      default:
        throw new IllegalArgumentException(
            "unsupported queue metadata value " + p.currentToken() + " in " + abbreviate(json));
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 120 ? s : s.substring(0, 117) + "...";
  }
}
