package com.chromacompactor.hnsw;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Inserts nodes into an {@link HnswGraph} as hnswlib's {@code addPoint} does:
 *
 * <ol>
 *   <li>the node's level is drawn with hnswlib's generator (done up front, in node order, so that a
 *       seed fixes every level whatever the thread count);
 *   <li>greedy descent from the entry point through the levels above the node's own;
 *   <li>on each level from min(level, maxLevel) down to 0: a beam search of width ef_construction
 *       ({@code searchBaseLayer}), then {@code getNeighborsByHeuristic2} keeps at most M diverse
 *       neighbours, and each neighbour links back, pruning its list with the same heuristic when it
 *       already holds {@code maxM} (M above level 0, 2M on level 0);
 *   <li>a node drawn above the top level becomes the entry point.
 * </ol>
 *
 * <p>Where hnswlib computes a node's neighbours' distances one by one, prefetching the next vector,
 * this takes them four at a time ({@link Level0Store#distances}): the search is bound by memory,
 * and four vectors streamed side by side overlap their cache misses as the prefetch does (a 50,000
 * × 1536-d single-thread build went from 0.72× Chroma's speed to 1.0×, docs/hnsw-benchmarks.md).
 * Each distance is bit for bit the one taken alone, and the candidates are then judged in hnswlib's
 * order, so the graph is the same.
 *
 * <p>{@link IndexBuild#QUANTIZED} (the default) runs the descent and the beam searches on 8-bit
 * codes of the vectors ({@link QuantizedVectors}) and re-ranks the beam's candidates by exact
 * distance before the selection; {@link IndexBuild#EXACT} takes every distance on the float32
 * vectors, as hnswlib does.
 *
 * <p>Threads: hnswlib holds a node's lock through its whole insertion, so that another thread waits
 * rather than read a half-linked node. Here locks are held per link list, and a node's insertion is
 * instead marked {@link Linked} when it ends: a search of another insertion never descends into,
 * nor starts a level from, a node still being linked, whose lower lists may still be empty (a
 * search started there finds nothing but that node, and the new node would get one link). On one
 * thread every earlier node is linked, so the graph is hnswlib's.
 *
 * <p>Vectors must be in the store before {@link #build}: the graph reads them, never writes them.
 */
public final class HnswBuilder {
  private final HnswGraph graph;
  private final HnswParams params;
  private final Metric metric;
  private final IndexBuild mode;

  /** A builder of the {@link IndexBuild#DEFAULT} kind. */
  public HnswBuilder(HnswGraph graph) {
    this(graph, IndexBuild.DEFAULT);
  }

  public HnswBuilder(HnswGraph graph, IndexBuild mode) {
    this.graph = graph;
    this.params = graph.params();
    this.metric = params.metric();
    this.mode = mode;
  }

  /** Told how many of the nodes a build inserts are in; called from the building threads. */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = (done, total) -> {};

    void inserted(int done, int total);
  }

  /** Insertions per thread, at the least: a build of fewer than twice this runs on one thread. */
  static final int MIN_INSERTS_PER_THREAD = 256;

  /** Between two progress reports: often enough for a live line, rare enough to cost nothing. */
  private static final int PROGRESS_EVERY = 1024;

  /** Inserts nodes {@code graph.size()}..{@code end-1} with {@code threads} threads. */
  public void build(int end, int threads) throws InterruptedException {
    build(end, threads, Progress.NONE);
  }

  /** As {@link #build(int, int)}, reporting progress every {@value #PROGRESS_EVERY} insertions. */
  public void build(int end, int threads, Progress progress) throws InterruptedException {
    int start = graph.size();
    if (end > graph.capacity() || end < start) {
      throw new IllegalArgumentException(
          "cannot grow to " + end + " nodes: size " + start + ", capacity " + graph.capacity());
    }
    // Codes for every node a search can reach, the graph's old ones included; made before any
    // insertion.
    try (QuantizedVectors codes =
        end > start && mode.forBuild(start, end - start) == IndexBuild.QUANTIZED
            ? QuantizedVectors.encode(graph.level0, metric, end, threads)
            : null) {
      insertAll(start, end, threads, progress, codes);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot make the temporary file for the build's vector codes", e);
    }
  }

  private void insertAll(int start, int end, int threads, Progress progress, QuantizedVectors codes)
      throws InterruptedException {
    // A fresh graph draws from hnswlib's seed; an extended one from a seed moved by its size, so
    // that
    // its new levels do not repeat the draws of the nodes it already has.
    LevelGenerator levels = new LevelGenerator(params.seed() + start, params.levelMultiplier());
    for (int node = start; node < end; node++) {
      graph.level0.clearLinks(node);
      graph.initLevel(node, levels.nextLevel());
    }
    graph.setSize(end);
    AtomicInteger next = new AtomicInteger(start);
    Linked linked = new Linked(start, end);
    if (graph.entryPoint() < 0 && start < end) {
      int first = next.getAndIncrement();
      graph.setEntry(first, graph.level(first));
      linked.mark(first); // the first node has nothing to link to
    }
    // Threads interleave their insertions differently on every run, and the graph with them. A
    // small
    // build, which is quick on one thread, stays on one, so that it comes out the same every time.
    int workers = Math.max(1, Math.min(threads, (end - start) / MIN_INSERTS_PER_THREAD));
    if (workers <= 1) {
      new Inserter(codes, linked).run(next, start, end, progress);
      progress.inserted(end - start, end - start);
      return;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            workers,
            r -> {
              Thread t = new Thread(r, "hnsw-build");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int t = 0; t < workers; t++) {
        jobs.add(
            pool.submit(
                () -> {
                  new Inserter(codes, linked).run(next, start, end, progress);
                  return null;
                }));
      }
      for (Future<?> f : jobs) {
        f.get();
      }
      progress.inserted(end - start, end - start);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Which of a build's nodes have finished their insertion; nodes before the build's first are. One
   * bit per node, published with a volatile write after the node's last link.
   */
  static final class Linked {
    /** Every node linked: a search of a finished graph. */
    static final Linked ALL = new Linked(Integer.MAX_VALUE, Integer.MAX_VALUE);

    private final int start;
    private final AtomicLongArray bits;

    Linked(int start, int end) {
      this.start = start;
      this.bits = new AtomicLongArray(Math.max(0, end - start + 63) >>> 6);
    }

    boolean has(int node) {
      int i = node - start;
      return i < 0 || (bits.get(i >>> 6) & (1L << i)) != 0;
    }

    void mark(int node) {
      int i = node - start;
      long bit = 1L << i;
      bits.getAndAccumulate(i >>> 6, bit, (word, b) -> word | b);
    }
  }

  /** One thread's scratch space: reused for every insertion, nothing allocated per distance. */
  private final class Inserter {
    private final Linked linked;
    private final Search search;
    private final boolean coded;
    private final NeighborHeap exact = new NeighborHeap(params.efConstruction() + 1, true);
    private final int[] candidates = new int[params.efConstruction() + 1];
    private final float[] candidateDistances = new float[params.efConstruction() + 1];
    private final float[] query = new float[params.dimension()];
    private final float[] other = new float[params.dimension()];
    private final int[] links = new int[params.maxM0() + 1];
    private final float[] distances = new float[params.maxM0() + 1];
    private final float[] four = new float[4];
    private long[] sorted = new long[params.efConstruction() + 1];
    private final long[] selected = new long[params.maxM0() + 1];
    private final NeighborHeap prune = new NeighborHeap(params.maxM0() + 1, true);

    Inserter(QuantizedVectors codes, Linked linked) {
      this.linked = linked;
      this.search = new Search(graph, codes, linked);
      this.coded = codes != null;
    }

    void run(AtomicInteger next, int start, int end, Progress progress) {
      for (int node = next.getAndIncrement(); node < end; node = next.getAndIncrement()) {
        insert(node);
        if ((node - start) % PROGRESS_EVERY == PROGRESS_EVERY - 1) {
          progress.inserted(node - start + 1, end - start);
        }
      }
    }

    void insert(int node) {
      graph.level0.readVector(node, query);
      search.setQuery(query);
      int level = graph.level(node);
      boolean raisesTop = level > graph.maxLevel();
      if (raisesTop) {
        graph.entryLock.lock(); // hnswlib holds its global lock through such an insertion
      }
      try {
        HnswGraph.Entry at =
            graph.entry(); // node and level together: another thread may raise both
        int entry = at.node();
        int top = at.level();
        int current = entry;
        if (level < top) {
          current = search.greedy(entry, top, level + 1);
        }
        boolean entryDeleted = graph.isDeleted(entry);
        for (int l = Math.min(level, top); l >= 0; l--) {
          NeighborHeap results = search.searchLayer(current, l, params.efConstruction());
          if (entryDeleted) {
            results.add(search.distance(entry), entry);
            if (results.size() > params.efConstruction()) {
              results.pop();
            }
          }
          current = connect(node, coded ? rerank(results) : results, l, current);
        }
        linked.mark(node);
        if (level > graph.maxLevel()) {
          graph.setEntry(node, level);
        }
      } finally {
        if (raisesTop) {
          graph.entryLock.unlock();
        }
      }
    }

    /**
     * The search's candidates again, by their exact distances (the heap is emptied; the result
     * valid until the next call).
     */
    private NeighborHeap rerank(NeighborHeap results) {
      int n = results.size();
      for (int i = 0; i < n; i++) {
        candidates[i] = NeighborHeap.node(results.at(i));
      }
      results.clear();
      graph.level0.distances(metric, query, candidates, n, candidateDistances, four);
      exact.clear();
      for (int i = 0; i < n; i++) {
        exact.add(candidateDistances[i], candidates[i]);
      }
      return exact;
    }

    /**
     * hnswlib's mutuallyConnectNewElement; returns where the next level's search starts: the
     * nearest selected neighbour that is {@link Linked}, else {@code from}, where this one started.
     */
    private int connect(int node, NeighborHeap results, int level, int from) {
      int maxLinks = level == 0 ? params.maxM0() : params.m();
      int n = select(results, params.m());
      for (int i = 0; i < n; i++) {
        links[i] = NeighborHeap.node(selected[i]);
      }
      synchronized (graph.lock(node)) {
        graph.writeLinks(node, level, links, n);
      }
      int nearest = from;
      for (int i = 0; i < n; i++) {
        if (linked.has(links[i])) {
          nearest = links[i];
          break;
        }
      }
      int[] chosen = Arrays.copyOf(links, n);
      for (int neighbour : chosen) {
        synchronized (graph.lock(neighbour)) {
          int count = graph.readLinks(neighbour, level, links);
          boolean present = false;
          for (int j = 0; j < count && !present; j++) {
            present = links[j] == node;
          }
          if (present) {
            continue;
          }
          if (count < maxLinks) {
            links[count] = node;
            graph.writeLinks(neighbour, level, links, count + 1);
            continue;
          }
          graph.level0.readVector(neighbour, other);
          links[count] = node;
          graph.level0.distances(metric, other, links, count + 1, distances, four);
          prune.clear();
          for (int j = 0; j <= count; j++) {
            prune.add(distances[j], links[j]);
          }
          int kept = select(prune, maxLinks);
          for (int j = 0; j < kept; j++) {
            links[j] = NeighborHeap.node(selected[j]);
          }
          graph.writeLinks(neighbour, level, links, kept);
        }
      }
      return nearest;
    }

    /**
     * getNeighborsByHeuristic2: fewer than {@code m} candidates are all kept; otherwise, nearest
     * first, a candidate is kept unless a kept one is closer to it than the query is. Leaves the
     * kept ones, nearest first, in {@link #selected}, empties {@code candidates}, returns how many.
     */
    private int select(NeighborHeap candidates, int m) {
      int n = candidates.size();
      if (sorted.length < n) {
        sorted = new long[n];
      }
      for (int i = 0; i < n; i++) {
        sorted[i] = candidates.at(i);
      }
      candidates.clear();
      Arrays.sort(sorted, 0, n); // packed codes sort by distance, then node
      if (n < m) {
        System.arraycopy(sorted, 0, selected, 0, n);
        return n;
      }
      int kept = 0;
      for (int i = 0; i < n && kept < m; i++) {
        long c = sorted[i];
        float toQuery = NeighborHeap.distance(c);
        int cn = NeighborHeap.node(c);
        boolean good = true;
        if (kept > 0) {
          graph.level0.readVector(cn, other);
          for (int j = 0; j < kept && good; j++) {
            int s = NeighborHeap.node(selected[j]);
            good = !(graph.level0.distance(metric, other, s) < toQuery);
          }
        }
        if (good) {
          selected[kept++] = c;
        }
      }
      return kept;
    }
  }

  /** Nearest neighbours of {@code query}: node ids, nearest first, deleted nodes excluded. */
  public static int[] search(HnswGraph graph, float[] query, int k, int ef) {
    Search s = new Search(graph, null, Linked.ALL);
    s.setQuery(query);
    NeighborHeap results = s.knn(k, Math.max(ef, k));
    int n = Math.min(k, results.size());
    while (results.size() > n) {
      results.pop();
    }
    int[] out = new int[n];
    for (int i = n - 1; i >= 0; i--) {
      out[i] = NeighborHeap.node(results.pop());
    }
    return out;
  }

  /**
   * The search primitives, with one visited set and two heaps reused across calls. Distances are to
   * the query of the last {@link #setQuery}: exact, or through the codes when the search has them.
   */
  static final class Search {
    private final HnswGraph graph;
    private final Metric metric;
    private final QuantizedVectors.Query coded;
    private final Linked linked;
    private float[] query;
    private final int[] visited;
    private int tag;
    private final NeighborHeap candidates;
    private final NeighborHeap results;
    private final int[] links;
    private final int[] unvisited;
    private final float[] distances;
    private final float[] four = new float[4];

    Search(HnswGraph graph, QuantizedVectors codes, Linked linked) {
      this.graph = graph;
      this.linked = linked;
      this.metric = graph.params().metric();
      this.coded = codes == null ? null : codes.newQuery();
      this.visited = new int[graph.capacity()];
      this.candidates = new NeighborHeap(graph.params().efConstruction() * 2, false);
      this.results = new NeighborHeap(graph.params().efConstruction() + 1, true);
      this.links = new int[graph.params().maxM0() + 1];
      this.unvisited = new int[graph.params().maxM0() + 1];
      this.distances = new float[graph.params().maxM0() + 1];
    }

    void setQuery(float[] q) {
      this.query = q;
      if (coded != null) {
        coded.set(q);
      }
    }

    float distance(int node) {
      return coded == null ? graph.level0.distance(metric, query, node) : coded.distance(node);
    }

    private void distances(int[] nodes, int n, float[] out) {
      if (coded == null) {
        graph.level0.distances(metric, query, nodes, n, out, four);
      } else {
        coded.distances(nodes, n, out);
      }
    }

    /**
     * Greedy descent from {@code entry} at level {@code from} down to level {@code to}; the closest
     * {@link Linked} node (one being linked may have no links yet on the levels below).
     */
    int greedy(int entry, int from, int to) {
      int current = entry;
      float best = distance(current);
      for (int level = from; level >= to; level--) {
        boolean changed = true;
        while (changed) {
          changed = false;
          int n;
          synchronized (graph.lock(current)) {
            n = graph.readLinks(current, level, links);
          }
          distances(links, n, distances);
          for (int i = 0; i < n; i++) {
            int c = links[i];
            float d = distances[i];
            if (d < best && linked.has(c)) {
              best = d;
              current = c;
              changed = true;
            }
          }
        }
      }
      return current;
    }

    /**
     * hnswlib's searchBaseLayer: the returned max-heap (valid until the next call) holds at most ef
     * results.
     */
    NeighborHeap searchLayer(int entry, int level, int ef) {
      if (++tag == 0) {
        Arrays.fill(visited, 0);
        tag = 1;
      }
      candidates.clear();
      results.clear();
      float lowerBound;
      if (!graph.isDeleted(entry)) {
        float d = distance(entry);
        results.add(d, entry);
        candidates.add(d, entry);
        lowerBound = d;
      } else {
        lowerBound = Float.MAX_VALUE;
        candidates.add(lowerBound, entry);
      }
      visited[entry] = tag;
      while (!candidates.isEmpty()) {
        if (candidates.topDistance() > lowerBound && results.size() == ef) {
          break;
        }
        int current = NeighborHeap.node(candidates.pop());
        int n;
        synchronized (graph.lock(current)) {
          n = graph.readLinks(current, level, links);
        }
        // The unvisited neighbours' distances first, four at a time (their reads overlap), then
        // hnswlib's per-candidate test in link order: the same outcome as one distance at a time.
        int fresh = 0;
        for (int i = 0; i < n; i++) {
          int c = links[i];
          if (visited[c] != tag) {
            visited[c] = tag;
            unvisited[fresh++] = c;
          }
        }
        distances(unvisited, fresh, distances);
        for (int i = 0; i < fresh; i++) {
          int c = unvisited[i];
          float d = distances[i];
          if (results.size() < ef || lowerBound > d) {
            candidates.add(d, c);
            if (!graph.isDeleted(c)) {
              results.add(d, c);
            }
            if (results.size() > ef) {
              results.pop();
            }
            if (!results.isEmpty()) {
              lowerBound = results.topDistance();
            }
          }
        }
      }
      return results;
    }

    NeighborHeap knn(int k, int ef) {
      HnswGraph.Entry at = graph.entry();
      if (at.node() < 0) {
        results.clear();
        return results;
      }
      int current = at.level() > 0 ? greedy(at.node(), at.level(), 1) : at.node();
      return searchLayer(current, 0, Math.max(ef, k));
    }
  }
}
