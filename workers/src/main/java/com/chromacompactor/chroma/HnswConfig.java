package com.chromacompactor.chroma;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;

/**
 * A collection's vector index parameters, resolved the way Chroma resolves them: the schema's
 * {@code #embedding} key, then the schema defaults, then {@code config_json_str}, then the legacy
 * {@code hnsw:*} collection metadata, then Chroma's defaults.
 */
public record HnswConfig(Space space, int maxNeighbors, int efConstruction, int efSearch) {
  public static final int DEFAULT_M = 16;
  public static final int DEFAULT_EF_CONSTRUCTION = 100;
  public static final int DEFAULT_EF_SEARCH = 100;

  private static final ObjectMapper JSON = new ObjectMapper();

  public HnswConfig {
    if (maxNeighbors < 2 || maxNeighbors > 4096) {
      throw new IllegalArgumentException("max_neighbors out of range 2..4096: " + maxNeighbors);
    }
    if (efConstruction < 1 || efSearch < 1) {
      throw new IllegalArgumentException(
          "ef out of range: ef_construction=" + efConstruction + ", ef_search=" + efSearch);
    }
  }

  public static HnswConfig defaults() {
    return new HnswConfig(Space.L2, DEFAULT_M, DEFAULT_EF_CONSTRUCTION, DEFAULT_EF_SEARCH);
  }

  /**
   * @throws IllegalArgumentException when a stored value is not understood; the caller names the delta
   */
  public static HnswConfig resolve(String schemaJson, String configJson, Map<String, Object> metadata) {
    JsonNode fromSchema = schemaVectorConfig(schemaJson);
    if (fromSchema != null) {
      return fromNode(fromSchema.path("space"), fromSchema.path("hnsw"));
    }
    JsonNode config = parse(configJson, "config_json_str");
    JsonNode hnsw = config == null ? null : config.path("vector_index").path("hnsw");
    if (hnsw != null && hnsw.isObject() && hnsw.size() > 0) {
      return fromNode(hnsw.path("space"), hnsw);
    }
    Object legacySpace = metadata.get("hnsw:space");
    Space space = legacySpace instanceof String s ? Space.fromChromaName(s) : Space.L2;
    return new HnswConfig(
        space,
        legacyInt(metadata, "hnsw:M", DEFAULT_M),
        legacyInt(metadata, "hnsw:construction_ef", DEFAULT_EF_CONSTRUCTION),
        legacyInt(metadata, "hnsw:search_ef", DEFAULT_EF_SEARCH));
  }

  private static JsonNode schemaVectorConfig(String schemaJson) {
    JsonNode schema = parse(schemaJson, "schema_str");
    if (schema == null) {
      return null;
    }
    JsonNode key = schema.path("keys").path("#embedding").path("float_list").path("vector_index").path("config");
    if (key.isObject()) {
      return key;
    }
    JsonNode defaults = schema.path("defaults").path("float_list").path("vector_index").path("config");
    return defaults.isObject() ? defaults : null;
  }

  private static HnswConfig fromNode(JsonNode space, JsonNode hnsw) {
    return new HnswConfig(
        space.isTextual() ? Space.fromChromaName(space.asText()) : Space.L2,
        hnsw.path("max_neighbors").asInt(DEFAULT_M),
        hnsw.path("ef_construction").asInt(DEFAULT_EF_CONSTRUCTION),
        hnsw.path("ef_search").asInt(DEFAULT_EF_SEARCH));
  }

  private static int legacyInt(Map<String, Object> metadata, String key, int fallback) {
    return metadata.get(key) instanceof Long l ? Math.toIntExact(l) : fallback;
  }

  private static JsonNode parse(String json, String column) {
    if (json == null || json.isBlank() || "null".equals(json.trim())) {
      return null;
    }
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException(column + " is not JSON: " + e.getMessage(), e);
    }
  }
}
