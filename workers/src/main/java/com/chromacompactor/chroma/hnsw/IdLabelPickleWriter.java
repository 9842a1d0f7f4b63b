package com.chromacompactor.chroma.hnsw;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes {@code index_metadata.pickle} in either {@link IdMapForm}, streamed so that the id map is
 * never held in memory:
 *
 * <pre>
 * DICT (Chroma 1.x, as serde_pickle writes it, protocol 3):
 *   {'dimensionality': None, 'total_elements_added': N, 'max_seq_id': None,
 *    'id_to_label': {id: label, …}, 'label_to_id': {label: id, …}, 'id_to_seq_id': {}}
 * PERSISTENT_DATA (chromadb 0.4-0.6): the same keys as the state of a
 *   chromadb.segment.impl.vector.local_persistent_hnsw.PersistentData instance (GLOBAL, EMPTY_TUPLE,
 *   NEWOBJ, BUILD), with the dimension, the max_seq_id given and id_to_seq_id {id: 0, …}
 * </pre>
 *
 * Opcodes: PROTO 3, EMPTY_DICT, MARK, BINUNICODE, BININT (LONG1 beyond int32), NONE, SETITEMS (at
 * most 1000 pairs per MARK), STOP, and for the object GLOBAL, EMPTY_TUPLE, NEWOBJ, BUILD. The ids
 * are visited once per map, through {@link Ids}.
 */
public final class IdLabelPickleWriter {
  private static final int BATCH = 1000;
  private static final String PERSISTENT_DATA_CLASS =
      "chromadb.segment.impl.vector.local_persistent_hnsw\nPersistentData\n";

  /** Visits every (user id, label) pair, in the same order each time it is called. */
  @FunctionalInterface
  public interface Ids {
    void forEach(Pair visitor) throws IOException;
  }

  @FunctionalInterface
  public interface Pair {
    void accept(String id, long label) throws IOException;
  }

  /** The three maps of the pickle, keyed and valued as each writes them. */
  private enum IdMap {
    ID_TO_LABEL,
    LABEL_TO_ID,
    ID_TO_SEQ_ID
  }

  private IdLabelPickleWriter() {}

  /** Writes the 1.x dict form. */
  public static void write(Path file, long totalElementsAdded, Ids ids) throws IOException {
    write(file, IdMapForm.DICT, 0, 0, totalElementsAdded, ids);
  }

  /**
   * @param dimension the vectors' dimension, which the 0.x form records (the dict form writes None)
   * @param legacyMaxSeqId the last queue row the index holds, which the 0.x form records (the dict
   *     form writes None); 0.x reads it when the {@code max_seq_id} table has no row
   */
  public static void write(
      Path file,
      IdMapForm form,
      int dimension,
      long legacyMaxSeqId,
      long totalElementsAdded,
      Ids ids)
      throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      out.write(0x80);
      out.write(3);
      if (form == IdMapForm.PERSISTENT_DATA) {
        out.write('c');
        out.write(PERSISTENT_DATA_CLASS.getBytes(StandardCharsets.US_ASCII));
        out.write(')');
        out.write(0x81); // NEWOBJ: cls.__new__(cls), its state set by BUILD below
      }
      out.write('}');
      out.write('(');
      string(out, "dimensionality");
      if (form == IdMapForm.PERSISTENT_DATA) {
        integer(out, dimension);
      } else {
        out.write('N');
      }
      string(out, "total_elements_added");
      integer(out, totalElementsAdded);
      string(out, "max_seq_id");
      if (form == IdMapForm.PERSISTENT_DATA) {
        integer(out, legacyMaxSeqId);
      } else {
        out.write('N');
      }
      string(out, "id_to_label");
      dict(out, ids, IdMap.ID_TO_LABEL);
      string(out, "label_to_id");
      dict(out, ids, IdMap.LABEL_TO_ID);
      string(out, "id_to_seq_id");
      if (form == IdMapForm.PERSISTENT_DATA) {
        dict(
            out,
            ids,
            IdMap.ID_TO_SEQ_ID); // Python deletes an id's entry on delete: every id needs one
      } else {
        out.write('}');
      }
      out.write('u');
      if (form == IdMapForm.PERSISTENT_DATA) {
        out.write('b');
      }
      out.write('.');
    }
  }

  private static void dict(OutputStream out, Ids ids, IdMap map) throws IOException {
    out.write('}');
    int[] inBatch = {0};
    ids.forEach(
        (id, label) -> {
          if (inBatch[0] == 0) {
            out.write('(');
          }
          switch (map) {
            case ID_TO_LABEL -> {
              string(out, id);
              integer(out, label);
            }
            case LABEL_TO_ID -> {
              integer(out, label);
              string(out, id);
            }
            case ID_TO_SEQ_ID -> {
              string(out, id);
              integer(out, 0);
            }
            default -> throw new IllegalStateException("unknown map " + map);
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
