package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.CollectionKey;

/**
 * A collection of the snapshot being written. Its ids are derived from its key, so that compacting
 * the same deltas twice gives the same collection and segment ids.
 */
public record CollectionSlot(
    int ordinal, CollectionKey key, String collectionId, String metadataSegmentId, String vectorSegmentId) {

  String topic() {
    return "persistent://default/default/" + collectionId;
  }
}
