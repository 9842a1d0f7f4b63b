package com.chromacompactor.audit;

import com.chromacompactor.chroma.EmbeddingRecord;
import com.chromacompactor.chroma.QueueJson;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The content of a record as two SHA-256 digests, one of its vector (float32, little-endian) and
 * one of its document, uri and metadata (keys sorted), so that a difference can be named.
 */
record RecordDigest(String vector, String content) {

  static RecordDigest of(EmbeddingRecord r) {
    ByteBuffer v =
        ByteBuffer.allocate(r.embedding().length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    v.asFloatBuffer().put(r.embedding());
    Map<String, Object> sorted = new TreeMap<>(r.metadata());
    String content =
        "document="
            + quote(r.document())
            + "\nuri="
            + quote(r.uri())
            + "\nmetadata="
            + QueueJson.write(sorted);
    return new RecordDigest(sha256(v.array()), sha256(content.getBytes(StandardCharsets.UTF_8)));
  }

  private static String quote(String s) {
    return s == null ? "null" : QueueJson.write(Map.of("s", s));
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
