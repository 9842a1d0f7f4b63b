package com.chromacompactor.chroma.hnsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ElementsByIdTest {

  @Test
  void answersAsAHashMapDoesOnAHundredThousandIds() {
    Random random = new Random(7);
    Map<String, Integer> expected = new HashMap<>();
    int n = 100_000;
    ElementsById table = new ElementsById(n);
    for (int node = 0; node < n; node++) {
      // uuid-like ids, and short ones whose hash codes crowd together
      String id = node % 3 == 0 ? "p" + node : Long.toHexString(random.nextLong()) + "-" + node;
      table.put(id, node);
      expected.put(id, node);
    }
    assertEquals(n, table.size());
    for (Map.Entry<String, Integer> e : expected.entrySet()) {
      assertEquals(e.getValue(), table.node(e.getKey()), e.getKey());
    }
    assertEquals(-1, table.node("absent"));
    assertEquals(-1, table.node("p1"), "p1 is not one of the ids (1 % 3 != 0)");
    Map<String, Integer> listed = new HashMap<>();
    table.forEach(listed::put);
    assertEquals(expected, listed);
    BitSet nodes = new BitSet();
    table.forEachNode(nodes::set);
    assertEquals(n, nodes.cardinality());
    assertEquals(n - 1, nodes.length() - 1);
  }

  @Test
  void anIdHeldTwiceKeepsTheLaterElement() {
    ElementsById table = new ElementsById(4);
    table.put("twice", 40);
    table.put("twice", 10);
    table.put("once", 3);
    assertEquals(40, table.node("twice"));
    assertEquals(3, table.node("once"));
    assertEquals(2, table.size());
  }

  @Test
  void moreIdsThanItWasSizedForAreRefusedNotLost() {
    ElementsById table = new ElementsById(2);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add("id-" + i);
      table.put(ids.get(i), i);
    }
    assertEquals(3, table.size());
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> {
              for (int i = 3; i < 10; i++) {
                table.put("id-" + i, i);
              }
            });
    assertEquals("more ids than the 4 slots allow", e.getMessage());
  }
}
