package com.chromacompactor.chroma.hnsw;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes {@code index_metadata.pickle} in the dict form Chroma 1.x writes with serde_pickle (protocol
 * 3), streamed so that the id map is never held in memory:
 *
 * <pre>
 * {'dimensionality': None, 'total_elements_added': N, 'max_seq_id': None,
 *  'id_to_label': {id: label, …}, 'label_to_id': {label: id, …}, 'id_to_seq_id': {}}
 * </pre>
 *
 * Opcodes: PROTO 3, EMPTY_DICT, MARK, BINUNICODE, BININT (LONG1 beyond int32), NONE, SETITEMS (at most
 * 1000 pairs per MARK), STOP. The ids are visited twice, once per direction, through {@link Ids}.
 */
public final class IdLabelPickleWriter {
  private static final int BATCH = 1000;

  /** Visits every (user id, label) pair, in the same order each time it is called. */
  @FunctionalInterface
  public interface Ids {
    void forEach(Pair visitor) throws IOException;
  }

  @FunctionalInterface
  public interface Pair {
    void accept(String id, long label) throws IOException;
  }

  private IdLabelPickleWriter() {}

  public static void write(Path file, long totalElementsAdded, Ids ids) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      out.write(0x80);
      out.write(3);
      out.write('}');
      out.write('(');
      string(out, "dimensionality");
      out.write('N');
      string(out, "total_elements_added");
      integer(out, totalElementsAdded);
      string(out, "max_seq_id");
      out.write('N');
      string(out, "id_to_label");
      dict(out, ids, true);
      string(out, "label_to_id");
      dict(out, ids, false);
      string(out, "id_to_seq_id");
      out.write('}');
      out.write('u');
      out.write('.');
    }
  }

  private static void dict(OutputStream out, Ids ids, boolean idFirst) throws IOException {
    out.write('}');
    int[] inBatch = {0};
    ids.forEach((id, label) -> {
      if (inBatch[0] == 0) {
        out.write('(');
      }
      if (idFirst) {
        string(out, id);
        integer(out, label);
      } else {
        integer(out, label);
        string(out, id);
      }
      if (++inBatch[0] == BATCH) {
        out.write('u');
        inBatch[0] = 0;
      }
    });
    if (inBatch[0] > 0) {
      out.write('u');
    }
  }

  private static void string(OutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write('X');
    le(out, b.length, 4);
    out.write(b);
  }

  private static void integer(OutputStream out, long v) throws IOException {
    if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      out.write('J');
      le(out, v, 4);
    } else {
      out.write(0x8a); // LONG1: little-endian two's complement
      out.write(8);
      le(out, v, 8);
    }
  }

  private static void le(OutputStream out, long v, int bytes) throws IOException {
    for (int i = 0; i < bytes; i++) {
      out.write((int) (v >>> (8 * i)) & 0xFF);
    }
  }
}
