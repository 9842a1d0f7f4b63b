package com.chromacompactor.chroma.hnsw;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
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
 * {@code index_metadata.pickle}: Chroma's user id &lt;-&gt; hnswlib label map. Chroma 1.x writes a plain
 * dict; Chroma 0.4–0.6 wrote a pickled {@code PersistentData} object with the same fields, which
 * Pyrolite decodes into a {@link ClassDict}. Both are accepted.
 */
public record IdLabelMap(Map<Long, String> labelToId, Long legacyMaxSeqId) {

  public static IdLabelMap read(Path delta, Path pickle) throws CorruptDeltaException {
    Object root;
    // Buffered: the unpickler reads an opcode at a time, a system call each on a bare file stream.
    try (InputStream in = new BufferedInputStream(Files.newInputStream(pickle), 1 << 16)) {
      root = new Unpickler().load(in);
    } catch (IOException | RuntimeException e) {
      throw new CorruptDeltaException(delta, DeltaProblem.CORRUPT_HNSW,
          pickle.getParent().getFileName() + "/" + pickle.getFileName() + ": not a readable pickle: " + e, e);
    }
    if (!(root instanceof Map<?, ?> fields)) {
      throw corrupt(delta, pickle, "expected a dict or PersistentData object, found "
          + (root == null ? "None" : root.getClass().getSimpleName()));
    }
    Map<Long, String> labelToId = new HashMap<>();
    Object l2i = fields.get("label_to_id");
    Object i2l = fields.get("id_to_label");
    if (l2i instanceof Map<?, ?> m && !m.isEmpty()) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        labelToId.put(label(delta, pickle, e.getKey()), string(delta, pickle, e.getValue()));
      }
    } else if (i2l instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        labelToId.put(label(delta, pickle, e.getValue()), string(delta, pickle, e.getKey()));
      }
    } else if (l2i == null && i2l == null) {
      throw corrupt(delta, pickle, "has neither label_to_id nor id_to_label");
    }
    Object seq = fields.get("max_seq_id");
    Long legacyMaxSeqId = seq instanceof Number n ? n.longValue() : null;
    return new IdLabelMap(labelToId, legacyMaxSeqId);
  }

  private static long label(Path delta, Path pickle, Object o) throws CorruptDeltaException {
    if (o instanceof Number n) {
      return n.longValue();
    }
    throw corrupt(delta, pickle, "label is not an integer: " + o);
  }

  private static String string(Path delta, Path pickle, Object o) throws CorruptDeltaException {
    if (o instanceof String s) {
      return s;
    }
    throw corrupt(delta, pickle, "user id is not a string: " + o);
  }

  private static CorruptDeltaException corrupt(Path delta, Path pickle, String detail) {
    return new CorruptDeltaException(delta, DeltaProblem.CORRUPT_HNSW,
        pickle.getParent().getFileName() + "/" + pickle.getFileName() + ": " + detail);
  }
}
