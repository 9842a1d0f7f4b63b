package com.chromacompactor.merge;

import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.CollectionKey;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.snapshot.CollectionDefinition;
import com.chromacompactor.snapshot.CollectionSlot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The collections of the snapshot, matched by name across deltas. The first delta that has a
 * collection fixes its configuration; a later delta that disagrees on dimension or space is
 * refused, naming both deltas. Schemas are unioned, since Chroma adds a schema key per metadata key
 * it meets.
 *
 * <p>State is per collection (a handful), never per record. {@link #begin()}/{@link #rollback()}
 * undo what a refused delta registered.
 */
final class CollectionRegistry {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Map<CollectionKey, Entry> entries = new LinkedHashMap<>();
  private Map<CollectionKey, Entry> saved;

  /** Per collection: where its configuration came from, and what the snapshot will say of it. */
  private record Entry(
      Path firstDelta,
      CollectionInfo first,
      CollectionSlot slot,
      Path dimensionDelta,
      Integer dimension,
      ObjectNode schema) {}

  void begin() {
    saved =
        new LinkedHashMap<>(entries); // entries are immutable records, so a shallow copy suffices
  }

  void rollback() {
    entries = saved;
    saved = null;
  }

  void commit() {
    saved = null;
  }

  /** The snapshot slot of an already-registered collection, or null. */
  CollectionSlot slotOf(CollectionKey key) {
    Entry e = entries.get(key);
    return e == null ? null : e.slot();
  }

  /** Registers a delta's collection, or checks it against the registered one. */
  CollectionSlot accept(
      Path delta, CollectionInfo c, Function<CollectionInfo, CollectionSlot> newSlot)
      throws CorruptDeltaException {
    Entry e = entries.get(c.key());
    if (e == null) {
      e =
          new Entry(
              delta,
              c,
              newSlot.apply(c),
              c.dimension() == null ? null : delta,
              c.dimension(),
              parseSchema(delta, c));
      entries.put(c.key(), e);
      return e.slot();
    }
    if (c.space() != e.first().space()) {
      throw conflict(
          delta,
          c,
          "space "
              + c.space().chromaName()
              + " here, but "
              + e.first().space().chromaName()
              + " in delta "
              + e.firstDelta()
              + " (the first delta that has it)");
    }
    if (c.dimension() != null && e.dimension() != null && !c.dimension().equals(e.dimension())) {
      throw conflict(
          delta,
          c,
          "dimension "
              + c.dimension()
              + " here, but "
              + e.dimension()
              + " in delta "
              + e.dimensionDelta());
    }
    ObjectNode schema = e.schema();
    JsonNode incoming = parseSchema(delta, c);
    if (schema != null && incoming != null) {
      schema = schema.deepCopy();
      unionKeys(schema, incoming);
    }
    entries.put(
        c.key(),
        new Entry(
            e.firstDelta(),
            e.first(),
            e.slot(),
            e.dimension() == null && c.dimension() != null ? delta : e.dimensionDelta(),
            e.dimension() == null ? c.dimension() : e.dimension(),
            schema));
    return e.slot();
  }

  private static CorruptDeltaException conflict(Path delta, CollectionInfo c, String detail) {
    return new CorruptDeltaException(
        delta, DeltaProblem.CONFLICTING_COLLECTION, "collection " + c.key() + ": " + detail);
  }

  private static ObjectNode parseSchema(Path delta, CollectionInfo c) throws CorruptDeltaException {
    String s = c.schemaJson();
    if (s == null || s.isBlank() || "null".equals(s.trim())) {
      return null;
    }
    try {
      JsonNode n = JSON.readTree(s);
      return n instanceof ObjectNode o ? o : null;
    } catch (IOException ex) {
      throw new CorruptDeltaException(
          delta,
          DeltaProblem.CORRUPT_SQLITE,
          "collection " + c.key() + ": schema_str is not JSON: " + ex.getMessage(),
          ex);
    }
  }

  /** Adds the metadata keys (and value types) of {@code from} that {@code into} lacks. */
  private static void unionKeys(ObjectNode into, JsonNode from) {
    JsonNode fromKeys = from.path("keys");
    if (!fromKeys.isObject()) {
      return;
    }
    ObjectNode intoKeys = into.with("keys");
    fromKeys
        .fields()
        .forEachRemaining(
            k -> {
              JsonNode existing = intoKeys.get(k.getKey());
              if (existing == null) {
                intoKeys.set(k.getKey(), k.getValue().deepCopy());
              } else if (existing instanceof ObjectNode target && k.getValue().isObject()) {
                k.getValue()
                    .fields()
                    .forEachRemaining(
                        t -> {
                          if (!target.has(t.getKey())) {
                            target.set(t.getKey(), t.getValue().deepCopy());
                          }
                        });
              }
            });
  }

  /** What the snapshot's sysdb rows say of each collection, in first-seen order. */
  List<CollectionDefinition> definitions() {
    List<CollectionDefinition> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      out.add(
          new CollectionDefinition(
              e.slot(),
              e.dimension(),
              e.first().configJson(),
              e.schema() == null ? e.first().schemaJson() : e.schema().toString(),
              e.first().metadata()));
    }
    return out;
  }

  int size() {
    return entries.size();
  }
}
