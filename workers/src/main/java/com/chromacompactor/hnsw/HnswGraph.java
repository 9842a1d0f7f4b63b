package com.chromacompactor.hnsw;

import java.util.concurrent.locks.ReentrantLock;

/**
 * A hierarchical navigable small-world graph over {@code int} nodes 0..capacity-1, as hnswlib lays
 * it out: level 0 (links up to {@code 2M}) lives in the {@link Level0Store} next to the vectors,
 * off the heap; the sparse upper levels (links up to {@code M}, about one node in M has any) are
 * small {@code int[]} per node on the heap. The graph knows nothing of files or labels.
 *
 * <p>Concurrency: a node's link lists are read and written only under that node's lock stripe, and
 * never two stripes at once, so builder threads cannot deadlock. The entry point changes under
 * {@link #entryLock}.
 */
public final class HnswGraph {
  private static final int STRIPES = 1 << 12;

  final HnswParams params;
  final Level0Store level0;
  private final byte[] levels;
  private final int[][] upper;
  private final Object[] locks = new Object[STRIPES];
  final ReentrantLock entryLock = new ReentrantLock();

  /**
   * Read in one volatile load: a builder thread must never see a new top level with the old node.
   */
  private volatile Entry entry = new Entry(-1, -1);

  private int size;
  private boolean mayHaveDeleted;

  public HnswGraph(HnswParams params, Level0Store level0) {
    if (level0.dimension() != params.dimension() || level0.maxM0() != params.maxM0()) {
      throw new IllegalArgumentException(
          "store of dimension "
              + level0.dimension()
              + ", maxM0 "
              + level0.maxM0()
              + " does not fit "
              + params);
    }
    if (level0.capacity() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("more than 2^31 nodes: " + level0.capacity());
    }
    this.params = params;
    this.level0 = level0;
    int capacity = (int) level0.capacity();
    this.levels = new byte[capacity];
    this.upper = new int[capacity][];
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new Object();
    }
  }

  public HnswParams params() {
    return params;
  }

  public Level0Store level0() {
    return level0;
  }

  public int capacity() {
    return levels.length;
  }

  /** Nodes 0..size-1 exist (some may be marked deleted). */
  public int size() {
    return size;
  }

  void setSize(int size) {
    this.size = size;
  }

  /** The entry point and the graph's top level, which is the entry point's level. */
  public record Entry(int node, int level) {}

  public Entry entry() {
    return entry;
  }

  public int entryPoint() {
    return entry.node();
  }

  public int maxLevel() {
    return entry.level();
  }

  void setEntry(int node, int level) {
    this.entry = new Entry(node, level);
  }

  public int level(int node) {
    return levels[node];
  }

  Object lock(int node) {
    return locks[node & (STRIPES - 1)];
  }

  /** Gives {@code node} its top level and empty upper link lists (before it is inserted). */
  void initLevel(int node, int level) {
    if (level > Byte.MAX_VALUE) {
      throw new IllegalStateException("level " + level + " of node " + node + " exceeds 127");
    }
    levels[node] = (byte) level;
    upper[node] = level == 0 ? null : new int[level * (params.m() + 1)];
  }

  /**
   * Copies node's links at {@code level} into {@code dst} (call under the node's lock); returns how
   * many.
   */
  int readLinks(int node, int level, int[] dst) {
    if (level == 0) {
      return level0.readLinks(node, dst);
    }
    int[] u = upper[node];
    int base = (level - 1) * (params.m() + 1);
    int n = u[base];
    System.arraycopy(u, base + 1, dst, 0, n);
    return n;
  }

  void writeLinks(int node, int level, int[] src, int n) {
    if (level == 0) {
      level0.writeLinks(node, src, n);
      return;
    }
    assert n <= params.m();
    int[] u = upper[node];
    int base = (level - 1) * (params.m() + 1);
    System.arraycopy(src, 0, u, base + 1, n);
    u[base] = n;
  }

  /**
   * The links of a finished graph at a level above 0, for serialisers: {@code count, ids…} per
   * level.
   */
  public int[] upperLinks(int node) {
    return upper[node];
  }

  /** Restores a node loaded from a file (before any insertion). */
  public void restoreNode(int node, int level, int[] upperLinks) {
    initLevel(node, level);
    if (level > 0) {
      System.arraycopy(upperLinks, 0, upper[node], 0, level * (params.m() + 1));
    }
  }

  /** Restores the entry point and node count of a graph loaded from a file. */
  public void restoreEntry(int entryPoint, int maxLevel, int size) {
    setEntry(entryPoint, maxLevel);
    this.size = size;
    this.mayHaveDeleted = true; // the file's records carry their own deleted flags
  }

  public boolean isDeleted(int node) {
    // A graph built from nothing has no deleted node: the searches then skip reading a flag from
    // the
    // record of every candidate, a cache miss each.
    return mayHaveDeleted && level0.isDeleted(node);
  }

  /**
   * Marks a node deleted: it still routes searches, but is never a result. Before a build, not
   * during one (the builder's threads read {@link #isDeleted} without a lock).
   */
  public void markDeleted(int node) {
    mayHaveDeleted = true;
    synchronized (lock(node)) {
      level0.setDeleted(node, true);
    }
  }
}
