package com.chromacompactor.chroma.hnsw;

import java.util.function.IntConsumer;
import java.util.function.ObjIntConsumer;

/**
 * A base index's live elements by record id: an open-addressing table of the ids and their element
 * numbers, with no entry or boxed number per record. On a base of a million records it is about a
 * third of a {@code HashMap<String, Integer>}'s heap, beside the ids themselves
 * (docs/benchmarks.md, the scale series: the launcher's heap is capped at 384 MB).
 */
public final class ElementsById {
  private final String[] ids;
  private final int[] nodes;
  private final int mask;
  private final int shift;
  private int size;

  /** An empty table for at most {@code expected} ids. */
  public ElementsById(int expected) {
    int capacity = Integer.highestOneBit(Math.max(4, expected + expected / 2) - 1) << 1;
    this.ids = new String[capacity];
    this.nodes = new int[capacity];
    this.mask = capacity - 1;
    this.shift = Integer.numberOfLeadingZeros(capacity) + 1;
  }

  /**
   * Records that {@code id} is held by element {@code node}. An id held by two live elements keeps
   * the later one, as hnswlib's label lookup has it.
   */
  public void put(String id, int node) {
    int slot = slot(id);
    if (ids[slot] == null) {
      if (size + 1 > ids.length - ids.length / 4) {
        throw new IllegalStateException("more ids than the " + ids.length + " slots allow");
      }
      ids[slot] = id;
      nodes[slot] = node;
      size++;
    } else {
      nodes[slot] = Math.max(nodes[slot], node);
    }
  }

  /** The live element that holds {@code id}, or -1. */
  public int node(String id) {
    int slot = slot(id);
    return ids[slot] == null ? -1 : nodes[slot];
  }

  public int size() {
    return size;
  }

  /** Each live element that holds a record. */
  public void forEachNode(IntConsumer each) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != null) {
        each.accept(nodes[i]);
      }
    }
  }

  /** Each id with its element, in no particular order. */
  public void forEach(ObjIntConsumer<String> each) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != null) {
        each.accept(ids[i], nodes[i]);
      }
    }
  }

  /** The slot that holds {@code id}, or the empty one where it would go (linear probing). */
  private int slot(String id) {
    int i = (id.hashCode() * 0x9E3779B9) >>> shift; // Fibonacci hashing: the product's top bits
    while (ids[i] != null && !ids[i].equals(id)) {
      i = (i + 1) & mask;
    }
    return i;
  }

  @Override
  public String toString() {
    return "ElementsById[" + size + " of " + ids.length + " slots]";
  }
}
