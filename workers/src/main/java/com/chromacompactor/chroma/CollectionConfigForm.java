package com.chromacompactor.chroma;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a release family keeps a collection's vector index configuration, and how it resolves it:
 * each form reads what its releases read and writes what its releases write (docs/chroma-format.md,
 * "Collection configuration").
 *
 * <p>A search ef a collection does not set is each release's default (10 in 0.x, 100 in 1.x): it is
 * read as {@link HnswConfig#DEFAULT_EF_SEARCH} and written as no key, so that it stays the reader's
 * default.
 *
 * <ul>
 *   <li>{@link #LEGACY_METADATA}, chromadb 0.4: the {@code hnsw:*} keys of the collection metadata,
 *       copied into the vector segment's metadata, which the index is built from.
 *   <li>{@link #PYTHON_CONFIG}, chromadb 0.5-0.6: the same keys decide the index; {@code
 *       config_json_str} holds a Python {@code CollectionConfigurationInternal}, which 0.5.4-0.6
 *       write with {@code "space": "l2"} even for a cosine collection, so it is not read for the
 *       space.
 *   <li>{@link #VECTOR_INDEX}, 1.0-1.2: {@code config_json_str} {@code vector_index.hnsw}, which
 *       holds the true space; a config still in the Python form leaves it to the legacy metadata.
 *   <li>{@link #SCHEMA}, 1.3+: {@code config_json_str} is {@code {}}; {@code schema_str} holds the
 *       configuration under {@code keys.#embedding} (else {@code defaults}) {@code
 *       .float_list.vector_index}.
 * </ul>
 */
public enum CollectionConfigForm {
  LEGACY_METADATA {
    @Override
    HnswConfig resolve(JsonNode config, JsonNode schema, Map<String, Object> metadata) {
      return fromMetadata(metadata, HnswConfig.DEFAULT_EF_SEARCH);
    }

    @Override
    public CollectionColumns write(HnswConfig hnsw, ConfigSources sources) {
      throw new IllegalStateException("chromadb 0.4 is not a write target");
    }
  },
  PYTHON_CONFIG {
    @Override
    HnswConfig resolve(JsonNode config, JsonNode schema, Map<String, Object> metadata) {
      return fromMetadata(metadata, HnswConfig.DEFAULT_EF_SEARCH);
    }

    @Override
    public CollectionColumns write(HnswConfig hnsw, ConfigSources sources) {
      Map<String, Object> metadata = new LinkedHashMap<>(sources.metadata());
      legacyKey(metadata, "hnsw:space", hnsw.space().chromaName(), Space.L2.chromaName());
      legacyKey(metadata, "hnsw:M", (long) hnsw.maxNeighbors(), (long) HnswConfig.DEFAULT_M);
      legacyKey(
          metadata,
          "hnsw:construction_ef",
          (long) hnsw.efConstruction(),
          (long) HnswConfig.DEFAULT_EF_CONSTRUCTION);
      legacyKey(
          metadata, "hnsw:search_ef", (long) hnsw.efSearch(), (long) HnswConfig.DEFAULT_EF_SEARCH);
      Map<String, Object> segment = new LinkedHashMap<>();
      metadata.forEach(
          (k, v) -> {
            if (LEGACY_SEGMENT_KEYS.contains(k)) {
              segment.put(k, v);
            }
          });
      // Python's json.dumps layout, key order of HNSWConfigurationInternal; the space is the true
      // one, so
      // that a 1.x reader that upgrades the snapshot (and reads this form) agrees with 0.6.
      StringBuilder json = new StringBuilder("{\"hnsw_configuration\": {");
      json.append("\"space\": \"").append(hnsw.space().chromaName()).append('"');
      json.append(", \"ef_construction\": ").append(hnsw.efConstruction());
      json.append(", \"ef_search\": ").append(hnsw.efSearch());
      json.append(", \"num_threads\": ").append(sources.numThreads());
      json.append(", \"M\": ").append(hnsw.maxNeighbors());
      json.append(", \"resize_factor\": ").append(pythonFloat(sources.resizeFactor()));
      json.append(", \"batch_size\": ").append(sources.batchSize());
      json.append(", \"sync_threshold\": ").append(sources.syncThreshold());
      json.append(
          ", \"_type\": \"HNSWConfigurationInternal\"}, \"_type\": \"CollectionConfigurationInternal\"}");
      return new CollectionColumns(json.toString(), null, metadata, segment);
    }
  },
  VECTOR_INDEX {
    @Override
    HnswConfig resolve(JsonNode config, JsonNode schema, Map<String, Object> metadata) {
      return fromConfig(config, metadata);
    }

    @Override
    public CollectionColumns write(HnswConfig hnsw, ConfigSources sources) {
      ObjectNode root = JSON.createObjectNode();
      ObjectNode h = root.putObject("vector_index").putObject("hnsw");
      h.put("space", hnsw.space().chromaName());
      h.put("ef_construction", hnsw.efConstruction());
      h.put("ef_search", hnsw.efSearch());
      h.put("max_neighbors", hnsw.maxNeighbors());
      h.put("resize_factor", sources.resizeFactor());
      h.put("sync_threshold", sources.syncThreshold());
      JsonNode ef = sources.embeddingFunction();
      root.set("embedding_function", ef == null ? NullNode.getInstance() : ef);
      return new CollectionColumns(root.toString(), null, sources.metadata(), Map.of());
    }
  },
  SCHEMA {
    @Override
    HnswConfig resolve(JsonNode config, JsonNode schema, Map<String, Object> metadata) {
      JsonNode fromSchema = schemaVectorConfig(schema);
      if (fromSchema != null) {
        return fromNode(
            fromSchema.path("space"), fromSchema.path("hnsw"), HnswConfig.DEFAULT_EF_SEARCH);
      }
      return fromConfig(
          config, metadata); // a collection that 1.3+ upgraded from an older directory
    }

    @Override
    public CollectionColumns write(HnswConfig hnsw, ConfigSources sources) {
      ObjectNode schema =
          sources.schema() != null ? sources.schema().deepCopy() : template(sources);
      for (JsonNode at : List.of(schema.path("defaults"), schema.path("keys").path("#embedding"))) {
        JsonNode c = at.path("float_list").path("vector_index").path("config");
        if (c instanceof ObjectNode config) {
          config.put("space", hnsw.space().chromaName());
          ObjectNode h = config.with("hnsw");
          h.put("ef_construction", hnsw.efConstruction());
          h.put("max_neighbors", hnsw.maxNeighbors());
          h.put("ef_search", hnsw.efSearch());
        }
      }
      return new CollectionColumns("{}", schema.toString(), sources.metadata(), Map.of());
    }
  };

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The keys chromadb 0.x copies from a collection's metadata into its vector segment's. */
  private static final List<String> LEGACY_SEGMENT_KEYS =
      List.of(
          "hnsw:space",
          "hnsw:construction_ef",
          "hnsw:search_ef",
          "hnsw:M",
          "hnsw:num_threads",
          "hnsw:resize_factor",
          "hnsw:batch_size",
          "hnsw:sync_threshold");

  /** The sysdb columns of one collection in a form: config and schema text, and metadata rows. */
  public record CollectionColumns(
      String configJson,
      String schemaJson,
      Map<String, Object> metadata,
      Map<String, Object> vectorSegmentMetadata) {
    public CollectionColumns {
      metadata = Map.copyOf(metadata);
      vectorSegmentMetadata = Map.copyOf(vectorSegmentMetadata);
    }
  }

  /**
   * The collection's vector index parameters as this form's releases resolve them.
   *
   * @throws IllegalArgumentException when a stored value is not understood; the caller names the
   *     delta
   */
  public HnswConfig read(String configJson, String schemaJson, Map<String, Object> metadata) {
    return resolve(parse(configJson, "config_json_str"), parse(schemaJson, "schema_str"), metadata);
  }

  abstract HnswConfig resolve(JsonNode config, JsonNode schema, Map<String, Object> metadata);

  /** The columns this form's releases would hold for a collection of {@code hnsw}. */
  public abstract CollectionColumns write(HnswConfig hnsw, ConfigSources sources);

  /**
   * 1.x's reading of {@code config_json_str}, then of the legacy metadata: a config still in the
   * Python form (a directory 1.x upgraded from 0.5/0.6) is not read, the {@code hnsw:*} metadata
   * decides, as it did for 0.6 (measured: 1.5.9 answers an upgraded 0.6.3 cosine collection with
   * 0.6.3's cosine distances).
   */
  private static HnswConfig fromConfig(JsonNode config, Map<String, Object> metadata) {
    JsonNode hnsw = config == null ? null : config.path("vector_index").path("hnsw");
    if (hnsw != null && hnsw.isObject() && hnsw.size() > 0) {
      return fromNode(hnsw.path("space"), hnsw, HnswConfig.DEFAULT_EF_SEARCH);
    }
    return fromMetadata(metadata, HnswConfig.DEFAULT_EF_SEARCH);
  }

  static JsonNode schemaVectorConfig(JsonNode schema) {
    if (schema == null) {
      return null;
    }
    JsonNode key =
        schema
            .path("keys")
            .path("#embedding")
            .path("float_list")
            .path("vector_index")
            .path("config");
    if (key.isObject()) {
      return key;
    }
    JsonNode defaults =
        schema.path("defaults").path("float_list").path("vector_index").path("config");
    return defaults.isObject() ? defaults : null;
  }

  private static HnswConfig fromNode(JsonNode space, JsonNode hnsw, int efSearchDefault) {
    return new HnswConfig(
        space.isTextual() ? Space.fromChromaName(space.asText()) : Space.L2,
        hnsw.path("max_neighbors").asInt(HnswConfig.DEFAULT_M),
        hnsw.path("ef_construction").asInt(HnswConfig.DEFAULT_EF_CONSTRUCTION),
        hnsw.path("ef_search").asInt(efSearchDefault));
  }

  private static HnswConfig fromMetadata(Map<String, Object> metadata, int efSearchDefault) {
    Object legacySpace = metadata.get("hnsw:space");
    Space space = legacySpace instanceof String s ? Space.fromChromaName(s) : Space.L2;
    return new HnswConfig(
        space,
        legacyInt(metadata, "hnsw:M", HnswConfig.DEFAULT_M),
        legacyInt(metadata, "hnsw:construction_ef", HnswConfig.DEFAULT_EF_CONSTRUCTION),
        legacyInt(metadata, "hnsw:search_ef", efSearchDefault));
  }

  private static int legacyInt(Map<String, Object> metadata, String key, int fallback) {
    return metadata.get(key) instanceof Long l ? Math.toIntExact(l) : fallback;
  }

  /** Sets a legacy key when it is already there or its value is not 0.x's default. */
  private static void legacyKey(
      Map<String, Object> metadata, String key, Object value, Object legacyDefault) {
    if (metadata.containsKey(key) || !value.equals(legacyDefault)) {
      metadata.put(key, value);
    }
  }

  private static String pythonFloat(double d) {
    String s = Double.toString(d);
    return s.contains("E") ? SerdeDoubles.format(d) : s; // repr() of the values Chroma allows here
  }

  /** Chroma 1.3+'s schema of a collection with no metadata key yet: what 1.5.9 writes for one. */
  private static ObjectNode template(ConfigSources sources) {
    JsonNodeFactory f = JSON.getNodeFactory();
    ObjectNode schema = f.objectNode();
    ObjectNode defaults = schema.putObject("defaults");
    stringIndexes(defaults.putObject("string"), false);
    vectorIndex(defaults.putObject("float_list"), false, sources, false);
    ObjectNode sparse = defaults.putObject("sparse_vector").putObject("sparse_vector_index");
    sparse.put("enabled", false);
    ObjectNode sparseConfig = sparse.putObject("config");
    sparseConfig.putObject("embedding_function").put("type", "unknown");
    sparseConfig.put("bm25", false);
    index(defaults.putObject("int"), "int_inverted_index", true);
    index(defaults.putObject("float"), "float_inverted_index", true);
    index(defaults.putObject("bool"), "bool_inverted_index", true);
    ObjectNode keys = schema.putObject("keys");
    stringIndexes(keys.putObject("#document").putObject("string"), true);
    vectorIndex(keys.putObject("#embedding").putObject("float_list"), true, sources, true);
    return schema;
  }

  private static void stringIndexes(ObjectNode string, boolean document) {
    index(string, "fts_index", document);
    index(string, "string_inverted_index", !document);
  }

  private static void index(ObjectNode parent, String name, boolean enabled) {
    ObjectNode index = parent.putObject(name);
    index.put("enabled", enabled);
    index.putObject("config");
  }

  private static void vectorIndex(
      ObjectNode floatList, boolean enabled, ConfigSources sources, boolean sourceKey) {
    ObjectNode index = floatList.putObject("vector_index");
    index.put("enabled", enabled);
    ObjectNode config = index.putObject("config");
    config.put(
        "space", Space.L2.chromaName()); // set from the collection's configuration by write()
    if (sources.embeddingFunction() != null && !sources.embeddingFunction().isNull()) {
      config.set("embedding_function", sources.embeddingFunction());
    }
    if (sourceKey) {
      config.put("source_key", "#document");
    }
    ObjectNode h = config.putObject("hnsw");
    h.put("ef_construction", HnswConfig.DEFAULT_EF_CONSTRUCTION);
    h.put("max_neighbors", HnswConfig.DEFAULT_M);
    h.put("ef_search", HnswConfig.DEFAULT_EF_SEARCH);
    h.put("num_threads", sources.numThreads());
    h.put("batch_size", sources.batchSize());
    h.put("sync_threshold", sources.syncThreshold());
    h.put("resize_factor", sources.resizeFactor());
  }

  static JsonNode parse(String json, String column) {
    if (json == null || json.isBlank() || "null".equals(json.trim())) {
      return null;
    }
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(column + " is not JSON: " + e.getOriginalMessage(), e);
    }
  }
}
