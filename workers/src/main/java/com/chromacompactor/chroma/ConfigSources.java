package com.chromacompactor.chroma;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the deltas said of a collection's configuration beyond its {@link HnswConfig}, in whichever
 * form their release wrote it, for a {@link CollectionConfigForm} that writes another form: the
 * merged schema (1.3+ deltas), the embedding function, hnswlib's tuning values, and the collection
 * metadata. A value no delta recorded gets Chroma's default; the thread count, which Chroma takes
 * from the writing machine, gets {@link #DEFAULT_NUM_THREADS}, so that a snapshot does not depend
 * on where it was written.
 *
 * @param configJson the first delta's {@code config_json_str}, or null
 * @param schema the deltas' {@code schema_str}, merged, or null when none had one
 */
public record ConfigSources(String configJson, ObjectNode schema, Map<String, Object> metadata) {
  public static final int DEFAULT_NUM_THREADS = 4;
  public static final double DEFAULT_RESIZE_FACTOR = 1.2;
  public static final int DEFAULT_BATCH_SIZE = 100;
  public static final int DEFAULT_SYNC_THRESHOLD = 1000;

  public ConfigSources {
    metadata = Map.copyOf(metadata);
  }

  /** From the columns of a collection: its config text, schema text (may be null) and metadata. */
  public static ConfigSources of(
      String configJson, String schemaJson, Map<String, Object> metadata) {
    JsonNode schema = CollectionConfigForm.parse(schemaJson, "schema_str");
    return new ConfigSources(configJson, schema instanceof ObjectNode o ? o : null, metadata);
  }

  public int numThreads() {
    return (int) number("num_threads", "hnsw:num_threads", DEFAULT_NUM_THREADS);
  }

  public double resizeFactor() {
    return number("resize_factor", "hnsw:resize_factor", DEFAULT_RESIZE_FACTOR);
  }

  public int batchSize() {
    return (int) number("batch_size", "hnsw:batch_size", DEFAULT_BATCH_SIZE);
  }

  public int syncThreshold() {
    return (int) number("sync_threshold", "hnsw:sync_threshold", DEFAULT_SYNC_THRESHOLD);
  }

  /** The embedding function as 1.x records it, or null when no delta recorded one. */
  public JsonNode embeddingFunction() {
    JsonNode fromSchema = CollectionConfigForm.schemaVectorConfig(schema);
    if (fromSchema != null && fromSchema.has("embedding_function")) {
      return fromSchema.get("embedding_function");
    }
    JsonNode config = CollectionConfigForm.parse(configJson, "config_json_str");
    JsonNode ef = config == null ? null : config.get("embedding_function");
    return ef == null || ef.isNull() ? null : ef;
  }

  /** The value of an hnsw tuning key in any form a delta used, first found wins. */
  private double number(String key, String legacyKey, double fallback) {
    List<JsonNode> places = new ArrayList<>();
    JsonNode fromSchema = CollectionConfigForm.schemaVectorConfig(schema);
    if (fromSchema != null) {
      places.add(fromSchema.path("hnsw"));
    }
    JsonNode config = CollectionConfigForm.parse(configJson, "config_json_str");
    if (config != null) {
      places.add(config.path("vector_index").path("hnsw"));
      places.add(config.path("hnsw_configuration"));
    }
    for (JsonNode place : places) {
      if (place.path(key).isNumber()) {
        return place.path(key).asDouble();
      }
    }
    return metadata.get(legacyKey) instanceof Number n ? n.doubleValue() : fallback;
  }
}
