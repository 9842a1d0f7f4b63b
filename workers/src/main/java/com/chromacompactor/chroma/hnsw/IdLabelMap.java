package com.chromacompactor.chroma.hnsw;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import net.razorvine.pickle.Unpickler;
import net.razorvine.pickle.objects.ClassDict;

/**
 * {@code index_metadata.pickle}: Chroma's user id &lt;-&gt; hnswlib label map, in either {@link
 * IdMapForm}. Pyrolite decodes the 0.x {@code PersistentData} object into a {@link ClassDict}, a
 * map of its state, so both forms read alike.
 *
 * @param legacyMaxSeqId the 0.x form's {@code max_seq_id}: the last queue row the index holds,
 *     where chromadb 0.4-0.5.5 keep it instead of the {@code max_seq_id} table; null in the dict
 *     form
 */
public record IdLabelMap(Map<Long, String> labelToId, Long legacyMaxSeqId) {

  public static IdLabelMap read(Path pickle) throws IOException {
    // Buffered: the unpickler reads an opcode at a time, a system call each on a bare file stream.
    try (InputStream in = new BufferedInputStream(Files.newInputStream(pickle), 1 << 16)) {
      return parse(in, CorruptIndexException.resource(pickle));
    }
  }

  /** Decodes the pickle of {@code resource} (the file, as messages name it). */
  public static IdLabelMap parse(InputStream in, String resource) throws CorruptIndexException {
    Map<Long, String> labelToId = new HashMap<>();
    Long legacyMaxSeqId = decode(in, resource, (id, label) -> labelToId.put(label, id));
    return new IdLabelMap(labelToId, legacyMaxSeqId);
  }

  /** One (user id, label) pair of the map. */
  @FunctionalInterface
  public interface PairConsumer {
    void accept(String id, long label);
  }

  /**
   * Each (user id, label) pair of {@code pickle}, without a map of them: a base index of a million
   * records would otherwise hold the decoded pickle and a copy of it at once.
   */
  public static void forEachPair(Path pickle, PairConsumer each) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(pickle), 1 << 16)) {
      decode(in, CorruptIndexException.resource(pickle), each);
    }
  }

  /** Hands every pair to {@code each}; returns the 0.x form's max_seq_id, or null. */
  private static Long decode(InputStream in, String resource, PairConsumer each)
      throws CorruptIndexException {
    Object root;
    try {
      root = new Unpickler().load(in);
    } catch (IOException | RuntimeException e) {
      throw new CorruptIndexException(resource, "not a readable pickle: " + e, e);
    }
    if (!(root instanceof Map<?, ?> fields)) {
      throw new CorruptIndexException(
          resource,
          "expected a dict or PersistentData object, found "
              + (root == null ? "None" : root.getClass().getSimpleName()));
    }
    Object l2i = fields.get("label_to_id");
    Object i2l = fields.get("id_to_label");
    if (l2i instanceof Map<?, ?> m && !m.isEmpty()) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        each.accept(string(resource, e.getValue()), label(resource, e.getKey()));
      }
    } else if (i2l instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        each.accept(string(resource, e.getKey()), label(resource, e.getValue()));
      }
    } else if (l2i == null && i2l == null) {
      throw new CorruptIndexException(resource, "has neither label_to_id nor id_to_label");
    }
    Object seq = fields.get("max_seq_id");
    return seq instanceof Number n ? n.longValue() : null;
  }

  private static long label(String resource, Object o) throws CorruptIndexException {
    if (o instanceof Number n) {
      return n.longValue();
    }
    throw new CorruptIndexException(resource, "label is not an integer: " + o);
  }

  private static String string(String resource, Object o) throws CorruptIndexException {
    if (o instanceof String s) {
      return s;
    }
    throw new CorruptIndexException(resource, "user id is not a string: " + o);
  }
}
