package com.chromacompactor.merge;

import com.chromacompactor.chroma.EmbeddingRecord;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code collection.upsert} does to an id that already exists, as measured on chromadb 1.5.9:
 * the vector is replaced; metadata keys are merged into the old metadata (keys the upsert does not
 * mention survive); a missing document or uri keeps the old one.
 */
public final class Upsert {
  private Upsert() {}

  public static EmbeddingRecord apply(EmbeddingRecord existing, EmbeddingRecord incoming) {
    if (existing == null) {
      return incoming;
    }
    Map<String, Object> metadata = new LinkedHashMap<>(existing.metadata());
    metadata.putAll(incoming.metadata());
    return new EmbeddingRecord(
        incoming.id(),
        incoming.embedding(),
        incoming.document() != null ? incoming.document() : existing.document(),
        incoming.uri() != null ? incoming.uri() : existing.uri(),
        metadata);
  }
}
