package com.chromacompactor.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.chromacompactor.chroma.EmbeddingRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UpsertTest {
  private static final float[] OLD = {1f, 2f};
  private static final float[] NEW = {3f, 4f};

  @Test
  void mergesMetadataKeysAndKeepsWhatTheUpsertDoesNotSay() {
    EmbeddingRecord existing =
        new EmbeddingRecord(
            "a", OLD, "old doc", "s3://old", Map.of("k1", 1L, "k2", "s", "arr", List.of(1L, 2L)));
    EmbeddingRecord incoming =
        new EmbeddingRecord("a", NEW, null, null, Map.of("k1", 10L, "arr", List.of("x")));
    EmbeddingRecord merged = Upsert.apply(existing, incoming);
    assertArrayEquals(NEW, merged.embedding());
    assertEquals("old doc", merged.document());
    assertEquals("s3://old", merged.uri());
    assertEquals(Map.of("k1", 10L, "k2", "s", "arr", List.of("x")), merged.metadata());
  }

  @Test
  void newDocumentAndUriReplaceOldOnes() {
    EmbeddingRecord merged =
        Upsert.apply(
            new EmbeddingRecord("a", OLD, "old", "u1", Map.of()),
            new EmbeddingRecord("a", NEW, "new", "u2", Map.of()));
    assertEquals("new", merged.document());
    assertEquals("u2", merged.uri());
  }

  @Test
  void aNewIdIsTakenAsItIs() {
    EmbeddingRecord incoming = new EmbeddingRecord("b", NEW, "d", null, Map.of("x", true));
    assertSame(incoming, Upsert.apply(null, incoming));
  }
}
