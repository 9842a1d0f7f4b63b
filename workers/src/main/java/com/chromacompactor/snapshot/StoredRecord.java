package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.EmbeddingRecord;

/**
 * A record already in the snapshot: where it lives, and its document, uri and metadata (the stored
 * vector is not read back, since an upsert always replaces it).
 */
public record StoredRecord(CollectionSlot slot, long seqId, EmbeddingRecord record) {}
