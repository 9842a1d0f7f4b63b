package com.chromacompactor.chroma;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * How {@code embeddings.seq_id} and {@code max_seq_id.seq_id} hold a sequence number. Readers
 * accept both: a directory that 1.x migrated from 0.x keeps BLOBs in {@code embeddings} (metadb 5
 * converts only {@code max_seq_id}).
 */
public enum SeqIdEncoding {
  /** chromadb 0.4-0.6: 8 bytes, big-endian, in a BLOB. */
  BIG_ENDIAN_BLOB,
  /** chromadb 1.x: an INTEGER. */
  INTEGER;

  /** The value to bind for {@code seq}. */
  public Object encode(long seq) {
    return this == BIG_ENDIAN_BLOB
        ? ByteBuffer.allocate(Long.BYTES).order(ByteOrder.BIG_ENDIAN).putLong(seq).array()
        : seq;
  }

  /** A stored sequence number in either encoding; null (no row) is 0. */
  public static long decode(Object stored) {
    if (stored == null) {
      return 0;
    }
    if (stored instanceof byte[] b) {
      if (b.length == 0 || b.length > Long.BYTES) {
        throw new IllegalArgumentException(
            "a sequence id BLOB of " + b.length + " bytes, expected 1 to 8");
      }
      long v = 0;
      for (byte x : b) {
        v = (v << 8) | (x & 0xFF);
      }
      return v;
    }
    if (stored instanceof Number n) {
      return n.longValue();
    }
    throw new IllegalArgumentException(
        "a sequence id of type " + stored.getClass().getSimpleName());
  }
}
