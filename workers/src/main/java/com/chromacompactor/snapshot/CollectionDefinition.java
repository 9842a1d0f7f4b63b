package com.chromacompactor.snapshot;

import java.util.Map;

/** What the snapshot's sysdb rows say of a collection, settled once every delta has been merged. */
public record CollectionDefinition(
    CollectionSlot slot,
    Integer dimension,
    String configJson,
    String schemaJson,
    Map<String, Object> metadata) {
  public CollectionDefinition {
    metadata = Map.copyOf(metadata);
  }
}
