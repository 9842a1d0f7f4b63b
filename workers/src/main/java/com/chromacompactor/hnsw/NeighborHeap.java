package com.chromacompactor.hnsw;

/**
 * A binary heap of (distance, node) pairs packed into longs, as Lucene's NeighborQueue does: the
 * distance's bits made sortable in the high word, the node in the low word. A min-heap pops the
 * nearest; a max-heap (keys bit-inverted) pops the farthest. Grows as needed; {@link #clear()}
 * keeps the array, so one heap per thread serves every insertion.
 */
final class NeighborHeap {
  private final boolean max;
  private long[] heap;
  private int size;

  NeighborHeap(int initialCapacity, boolean max) {
    this.heap = new long[Math.max(initialCapacity, 4) + 1];
    this.max = max;
  }

  static long encode(float distance, int node) {
    int bits = Float.floatToIntBits(distance);
    bits ^= (bits >> 31) & 0x7fffffff; // negative floats sort below positive ones
    return ((long) bits << 32) | (node & 0xffffffffL);
  }

  static float distance(long code) {
    int bits = (int) (code >> 32);
    bits ^= (bits >> 31) & 0x7fffffff;
    return Float.intBitsToFloat(bits);
  }

  static int node(long code) {
    return (int) code;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  void clear() {
    size = 0;
  }

  void add(float distance, int node) {
    long key = encode(distance, node);
    if (max) {
      key = ~key;
    }
    if (++size == heap.length) {
      heap = java.util.Arrays.copyOf(heap, heap.length * 2);
    }
    int i = size;
    while (i > 1 && key < heap[i >>> 1]) {
      heap[i] = heap[i >>> 1];
      i >>>= 1;
    }
    heap[i] = key;
  }

  /** The packed top (nearest for a min-heap, farthest for a max-heap). */
  long top() {
    assert size > 0;
    return max ? ~heap[1] : heap[1];
  }

  float topDistance() {
    return distance(top());
  }

  long pop() {
    long result = top();
    long last = heap[size--];
    int i = 1;
    int half = size >>> 1;
    while (i <= half) {
      int child = i << 1;
      if (child < size && heap[child + 1] < heap[child]) {
        child++;
      }
      if (last <= heap[child]) {
        break;
      }
      heap[i] = heap[child];
      i = child;
    }
    if (size > 0) {
      heap[i] = last;
    }
    return result;
  }

  /** The packed entries in heap order (not sorted), for draining without popping. */
  long at(int i) {
    return max ? ~heap[i + 1] : heap[i + 1];
  }
}
