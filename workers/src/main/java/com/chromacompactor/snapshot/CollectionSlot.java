package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.CollectionKey;
import com.chromacompactor.chroma.HnswConfig;

/**
 * A collection of the snapshot being written, with the index parameters of the first delta that had
 * it. Its ids are derived from its key, so compacting the same deltas twice gives the same
 * collection and segment ids.
 */
public record CollectionSlot(
    int ordinal,
    CollectionKey key,
    HnswConfig hnsw,
    String collectionId,
    String metadataSegmentId,
    String vectorSegmentId) {

  public static CollectionSlot of(int ordinal, CollectionInfo first) {
    CollectionKey k = first.key();
    return new CollectionSlot(
        ordinal,
        k,
        first.hnsw(),
        k.derivedUuid("collection"),
        k.derivedUuid("metadata-segment"),
        k.derivedUuid("vector-segment"));
  }

  /** The queue topic Chroma's local log uses for this collection. */
  public String topic() {
    return "persistent://default/default/" + collectionId;
  }
}
