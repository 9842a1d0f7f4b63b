package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The chunks Plan cuts: sizes by the collection's configured name, never by a word inside it. */
class PlannerTest {
  /** Five deltas, each with 10 records of every collection, in merge order. */
  private static List<Planner.DeltaCensus> fiveDeltas(String... collections) {
    List<Planner.DeltaCensus> deltas = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      Map<String, Long> records = new TreeMap<>();
      for (String c : collections) {
        records.put(c, 10L);
      }
      deltas.add(new Planner.DeltaCensus("deltas/d" + i + "/", records));
    }
    return deltas;
  }

  @Test
  void aCollectionGetsItsConfiguredSizeAndEveryOtherOneTheDefault() {
    ChunkSizes sizes = new ChunkSizes(3, Map.of("receipt_words", 2));
    List<PlannedChunk> chunks =
        Planner.plan(fiveDeltas("password_lines", "receipt_words", "receipt_lines"), sizes);
    List<String> cuts =
        chunks.stream()
            .map(
                c ->
                    c.chunkIndex()
                        + ":"
                        + c.collection()
                        + "/"
                        + c.chunkSize()
                        + "="
                        + c.deltaKeys().size()
                        + ","
                        + c.embeddings())
            .toList();
    assertEquals(
        List.of(
            // the default, 3: "lines" in the name does not make it a line collection, nor
            // "password" anything else
            "0:password_lines/3=3,30",
            "1:password_lines/3=2,20",
            "2:receipt_lines/3=3,30",
            "3:receipt_lines/3=2,20",
            "4:receipt_words/2=2,20",
            "5:receipt_words/2=2,20",
            "6:receipt_words/2=1,10"),
        cuts);
    assertEquals(
        List.of("deltas/d1/", "deltas/d2/", "deltas/d3/"),
        chunks.get(0).deltaKeys(),
        "merge order kept");
    assertEquals(150, Planner.totalEmbeddings(chunks));
  }

  @Test
  void aNameThatContainsWordIsNotAWordCollection() {
    // kindOf once made any name with "word" in it a word collection (15 per chunk): password_lines
    // among them
    ChunkSizes sizes = new ChunkSizes(4, Map.of("receipt_words", 1));
    List<PlannedChunk> chunks =
        Planner.plan(fiveDeltas("password_lines", "crossword_hints"), sizes);
    assertEquals(List.of(4, 1, 4, 1), chunks.stream().map(c -> c.deltaKeys().size()).toList());
    assertEquals(
        List.of("crossword_hints", "crossword_hints", "password_lines", "password_lines"),
        chunks.stream().map(PlannedChunk::collection).toList());
  }
}
