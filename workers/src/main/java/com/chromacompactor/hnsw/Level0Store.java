package com.chromacompactor.hnsw;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Fixed-size node records in memory-mapped chunks, off the heap. A record is {@code stride} bytes:
 *
 * <pre>
 *   int32   count (low 16 bits) | flags (bits 16..23; bit 16 = deleted)
 *   int32 × maxM0   level-0 neighbours (first count valid)
 *   float × dim     the vector
 *   …               stride - (4 + 4·maxM0 + 4·dim) bytes the graph never touches (the caller's)
 * </pre>
 *
 * A record never straddles two chunks (a chunk holds {@code perChunk} whole records, under 2 GiB),
 * so every access is one absolute get or put on one buffer. Writes to a record's links happen under
 * that node's lock in {@link HnswGraph}; vectors are written before the node becomes reachable.
 */
public final class Level0Store {
  private static final int DELETED = 1 << 16;

  private final ByteBuffer[] bytes;
  private final IntBuffer[] ints;
  private final FloatBuffer[] floats;
  private final int perChunk;
  private final int stride;
  private final int strideInts;
  private final int maxM0;
  private final int vectorInts;
  private final int dimension;
  private final long capacity;

  private Level0Store(
      ByteBuffer[] chunks, int perChunk, int stride, int maxM0, int dimension, long capacity) {
    if (stride % 4 != 0 || stride < 4 + 4 * maxM0 + 4 * dimension) {
      throw new IllegalArgumentException(
          "stride " + stride + " cannot hold maxM0=" + maxM0 + ", dimension=" + dimension);
    }
    this.bytes = chunks;
    this.ints = new IntBuffer[chunks.length];
    this.floats = new FloatBuffer[chunks.length];
    for (int c = 0; c < chunks.length; c++) {
      chunks[c].order(ByteOrder.LITTLE_ENDIAN);
      ints[c] = chunks[c].duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
      floats[c] = chunks[c].duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    }
    this.perChunk = perChunk;
    this.stride = stride;
    this.strideInts = stride / 4;
    this.maxM0 = maxM0;
    this.vectorInts = 1 + maxM0;
    this.dimension = dimension;
    this.capacity = capacity;
  }

  /**
   * Maps {@code capacity} records of {@code stride} bytes of {@code channel}, from byte 0,
   * read-write (the file grows to fit). Records already in the file keep their bytes.
   */
  public static Level0Store map(
      FileChannel channel, long capacity, int stride, int maxM0, int dimension) throws IOException {
    int perChunk = (int) Math.max(1, Math.min(capacity, (Integer.MAX_VALUE - 8) / stride));
    int chunks = (int) Math.max(1, (capacity + perChunk - 1) / perChunk);
    ByteBuffer[] buffers = new ByteBuffer[chunks];
    for (int c = 0; c < chunks; c++) {
      long first = (long) c * perChunk;
      long records = Math.min(perChunk, capacity - first);
      MappedByteBuffer b =
          channel.map(
              FileChannel.MapMode.READ_WRITE, first * stride, Math.max(records, 0) * stride);
      buffers[c] = b;
    }
    return new Level0Store(buffers, perChunk, stride, maxM0, dimension, capacity);
  }

  /** Records on the heap, for tests and small graphs. */
  public static Level0Store onHeap(int capacity, int stride, int maxM0, int dimension) {
    return new Level0Store(
        new ByteBuffer[] {ByteBuffer.allocate(capacity * stride)},
        Math.max(capacity, 1),
        stride,
        maxM0,
        dimension,
        capacity);
  }

  public long capacity() {
    return capacity;
  }

  public int dimension() {
    return dimension;
  }

  public int maxM0() {
    return maxM0;
  }

  public int stride() {
    return stride;
  }

  /** The buffer holding {@code node}'s record, positioned nowhere: use with {@link #byteOffset}. */
  public ByteBuffer buffer(int node) {
    return bytes[node / perChunk];
  }

  public int byteOffset(int node) {
    return (node % perChunk) * stride;
  }

  /** Distance from {@code q} to node's vector. */
  float distance(Metric metric, float[] q, int node) {
    int c = node / perChunk;
    return metric.distance(q, bytes[c], floats[c], vectorOffset(node));
  }

  /**
   * Distances from {@code q} to {@code nodes[0..n-1]}, into {@code out}: four at a time, which lets
   * their memory reads overlap (the last one to three too); each the same as {@link #distance}
   * would give.
   */
  void distances(Metric metric, float[] q, int[] nodes, int n, float[] out, float[] four) {
    int last = n - 1;
    for (int i = 0; i < n; i += 4) {
      // past the end, the last node again: the last one to three still go in one pass
      int n0 = nodes[i];
      int n1 = nodes[Math.min(i + 1, last)];
      int n2 = nodes[Math.min(i + 2, last)];
      int n3 = nodes[Math.min(i + 3, last)];
      metric.distance4(
          q,
          bytes[n0 / perChunk],
          floats[n0 / perChunk],
          vectorOffset(n0),
          bytes[n1 / perChunk],
          floats[n1 / perChunk],
          vectorOffset(n1),
          bytes[n2 / perChunk],
          floats[n2 / perChunk],
          vectorOffset(n2),
          bytes[n3 / perChunk],
          floats[n3 / perChunk],
          vectorOffset(n3),
          four);
      for (int k = 0; k < 4 && i + k < n; k++) {
        out[i + k] = four[k];
      }
    }
  }

  FloatBuffer floats(int node) {
    return floats[node / perChunk];
  }

  int vectorOffset(int node) {
    return (node % perChunk) * strideInts + vectorInts;
  }

  public void writeVector(int node, float[] v) {
    floats(node).put(vectorOffset(node), v, 0, dimension);
  }

  public void readVector(int node, float[] dst) {
    floats(node).get(vectorOffset(node), dst, 0, dimension);
  }

  public boolean isDeleted(int node) {
    return (ints[node / perChunk].get((node % perChunk) * strideInts) & DELETED) != 0;
  }

  public void setDeleted(int node, boolean deleted) {
    IntBuffer b = ints[node / perChunk];
    int at = (node % perChunk) * strideInts;
    int h = b.get(at);
    b.put(at, deleted ? h | DELETED : h & ~DELETED);
  }

  /** Copies node's level-0 links into {@code dst}; returns how many. */
  int readLinks(int node, int[] dst) {
    IntBuffer b = ints[node / perChunk];
    int at = (node % perChunk) * strideInts;
    int n = b.get(at) & 0xFFFF;
    b.get(at + 1, dst, 0, n);
    return n;
  }

  void writeLinks(int node, int[] src, int n) {
    assert n <= maxM0 : n + " links > maxM0 " + maxM0;
    IntBuffer b = ints[node / perChunk];
    int at = (node % perChunk) * strideInts;
    b.put(at + 1, src, 0, n);
    b.put(at, (b.get(at) & ~0xFFFF) | n);
  }

  /** Zeroes the links and flags of a fresh record. */
  void clearLinks(int node) {
    IntBuffer b = ints[node / perChunk];
    int at = (node % perChunk) * strideInts;
    for (int i = 0; i <= maxM0; i++) {
      b.put(at + i, 0);
    }
  }
}
