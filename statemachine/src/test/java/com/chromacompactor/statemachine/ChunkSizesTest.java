package com.chromacompactor.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.chromacompactor.statemachine.contract.ChunkSizes;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The chunk-size mapping's text, as the worker's environment and the CDK context carry it. */
class ChunkSizesTest {
  @Test
  void mappingTextReadsBackAsWrittenAndUnnamedCollectionsGetTheDefault() {
    ChunkSizes sizes =
        new ChunkSizes(
            25,
            ChunkSizes.parseMapping(
                "COMPACTOR_CHUNK_SIZES", " receipt_words=15 ,password_lines=40"));
    assertEquals(Map.of("receipt_words", 15, "password_lines", 40), sizes.byCollection());
    assertEquals("password_lines=40,receipt_words=15", sizes.formatMapping());
    assertEquals(sizes.byCollection(), ChunkSizes.parseMapping("x", sizes.formatMapping()));
    assertEquals(15, sizes.of("receipt_words"));
    assertEquals(25, sizes.of("receipt_lines"));
    assertEquals(Map.of(), ChunkSizes.parseMapping("x", ""));
    assertEquals("", ChunkSizes.defaults().formatMapping());
  }

  @Test
  void wrongEntriesAreRefusedNamingTheSettingAndTheEntry() {
    assertEquals(
        "COMPACTOR_CHUNK_SIZES must be collection=N entries separated by commas, got 'b' in 'a=1,b'",
        message(() -> ChunkSizes.parseMapping("COMPACTOR_CHUNK_SIZES", "a=1,b")));
    assertEquals(
        "COMPACTOR_CHUNK_SIZES of a must be a whole number of deltas, got 'x'",
        message(() -> ChunkSizes.parseMapping("COMPACTOR_CHUNK_SIZES", "a=x")));
    assertEquals(
        "COMPACTOR_CHUNK_SIZES names collection a twice",
        message(() -> ChunkSizes.parseMapping("COMPACTOR_CHUNK_SIZES", "a=1,a=2")));
    assertEquals(
        "COMPACTOR_CHUNK_SIZES: 'a b' is not a collection name (letters, digits, '.', '_' and '-',"
            + " starting with a letter or digit)",
        message(() -> ChunkSizes.parseMapping("COMPACTOR_CHUNK_SIZES", "a b=1")));
    assertEquals(
        "the default chunk size must be at least 1 delta, got 0",
        message(() -> ChunkSizes.uniform(0)));
  }

  private static String message(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run).getMessage();
  }
}
