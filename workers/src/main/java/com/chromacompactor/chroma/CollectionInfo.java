package com.chromacompactor.chroma;

import java.util.Map;

/**
 * A collection as one delta describes it: its sysdb row, its two segments, the queue topic of its
 * records and its vector index parameters as the delta's release resolves them. {@code dimension}
 * is null while the collection has never held a vector.
 */
public record CollectionInfo(
    String id,
    CollectionKey key,
    Integer dimension,
    String configJson,
    String schemaJson,
    Map<String, Object> metadata,
    HnswConfig hnsw,
    String metadataSegmentId,
    String vectorSegmentId,
    String topic) {

  public CollectionInfo {
    metadata = Map.copyOf(metadata);
  }

  public Space space() {
    return hnsw.space();
  }
}
