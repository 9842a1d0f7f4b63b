package com.chromacompactor.chroma;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One record as {@code collection.get()} returns it: user id, vector, document, uri and user
 * metadata.
 *
 * <p>Metadata values are {@link String}, {@link Long}, {@link Double}, {@link Boolean}, or a {@link
 * java.util.List} of one of those. Keys starting with {@code chroma:} never appear here: the
 * document and uri have their own fields. The embedding array is owned by the record; callers that
 * keep it past the next cursor step must not modify it.
 */
public record EmbeddingRecord(
    String id, float[] embedding, String document, String uri, Map<String, Object> metadata) {

  public EmbeddingRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(embedding, "embedding");
    metadata =
        metadata == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  public int dimension() {
    return embedding.length;
  }
}
