package com.chromacompactor.hnsw;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * 8-bit codes of a graph's vectors, for the beam searches of an {@link IndexBuild#QUANTIZED} build:
 * one signed byte per dimension, {@code x ≈ mid[i] + step[i]·code}, where each dimension's range is
 * the minimum to the maximum of a sample of the vectors (values outside it are clamped). A 1536-d
 * vector is 1,536 bytes instead of 6,144, so a search that jumps from node to node pulls a quarter
 * of the memory.
 *
 * <p>Distances are asymmetric: the query stays float32 ({@link Query}), only the stored side is
 * coded, so one kernel serves both metrics, {@code q·x ≈ q·mid + Σ (q[i]·step[i])·code[i]}; L2 adds
 * the decoded vector's squared norm, kept per node.
 *
 * <p>The codes live in a temporary file mapped into memory, not on the heap: at a million 1536-d
 * vectors they are 1.5 GB, which as file-backed pages the kernel can write out and drop rather than
 * count as the process's own memory. The file is unlinked as soon as it is mapped and truncated by
 * {@link #close}, which gives its pages and disk back at once.
 */
final class QuantizedVectors implements AutoCloseable {
  /** Vectors whose range sets each dimension's scale: enough for the extremes, cheap to read. */
  static final int SAMPLE = 16_384;

  private static final FloatKernels KERNELS = FloatKernels.INSTANCE;

  private final Metric metric;
  private final int dimension;
  private final int stride;
  private final int perChunk;
  private final float[] mid;
  private final float[] step;
  private final float[] squaredNorms;
  private final FileChannel file;
  private final ByteBuffer[] chunks;
  private boolean closed;

  private QuantizedVectors(
      Metric metric,
      int dimension,
      int count,
      float[] mid,
      float[] step,
      FileChannel file,
      ByteBuffer[] chunks,
      int stride,
      int perChunk) {
    this.metric = metric;
    this.dimension = dimension;
    this.mid = mid;
    this.step = step;
    this.file = file;
    this.chunks = chunks;
    this.stride = stride;
    this.perChunk = perChunk;
    this.squaredNorms = metric == Metric.L2 ? new float[count] : null;
  }

  /**
   * Codes for nodes {@code 0..count-1} of {@code store}, whose vectors must all be written; made
   * with {@code threads} threads.
   */
  static QuantizedVectors encode(Level0Store store, Metric metric, int count, int threads)
      throws IOException, InterruptedException {
    int dimension = store.dimension();
    float[] lo = new float[dimension];
    float[] hi = new float[dimension];
    range(store, count, lo, hi);
    float[] mid = new float[dimension];
    float[] step = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      step[i] = (hi[i] - lo[i]) / 255f;
      mid[i] = lo[i] + 128 * step[i];
    }
    int stride = FloatKernels.codeLength(dimension);
    int perChunk = (int) Math.max(1, Math.min(count, (Integer.MAX_VALUE - 8) / stride));
    int chunkCount = (count + perChunk - 1) / perChunk;
    Path path = Files.createTempFile("hnsw-codes-", ".bin");
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    boolean done = false;
    try {
      ByteBuffer[] chunks = new ByteBuffer[chunkCount];
      for (int c = 0; c < chunkCount; c++) {
        long first = (long) c * perChunk;
        long records = Math.min(perChunk, count - first);
        MappedByteBuffer b =
            channel.map(FileChannel.MapMode.READ_WRITE, first * stride, records * stride);
        b.order(ByteOrder.LITTLE_ENDIAN);
        chunks[c] = b;
      }
      unlink(path);
      QuantizedVectors codes =
          new QuantizedVectors(
              metric, dimension, count, mid, step, channel, chunks, stride, perChunk);
      codes.encodeAll(store, count, threads);
      done = true;
      return codes;
    } finally {
      if (!done) {
        channel.close();
        Files.deleteIfExists(path);
      }
    }
  }

  /**
   * Per-dimension minimum and maximum over an evenly spaced sample of at most {@value #SAMPLE}
   * vectors.
   */
  private static void range(Level0Store store, int count, float[] lo, float[] hi) {
    Arrays.fill(lo, Float.POSITIVE_INFINITY);
    Arrays.fill(hi, Float.NEGATIVE_INFINITY);
    float[] v = new float[store.dimension()];
    long every = Math.max(1, (count + SAMPLE - 1) / SAMPLE);
    for (long node = 0; node < count; node += every) {
      store.readVector((int) node, v);
      for (int i = 0; i < v.length; i++) {
        lo[i] = Math.min(lo[i], v[i]);
        hi[i] = Math.max(hi[i], v[i]);
      }
    }
  }

  private static void unlink(Path path) {
    try {
      Files.delete(
          path); // the mapping keeps the file alive; nothing is left behind if the JVM dies
    } catch (IOException e) {
      path.toFile().deleteOnExit(); // a file system that cannot unlink an open file
    }
  }

  private void encodeAll(Level0Store store, int count, int threads) throws InterruptedException {
    int workers = Math.max(1, Math.min(threads, count / 4096));
    if (workers == 1) {
      encodeRange(store, 0, count);
      return;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            workers,
            r -> {
              Thread t = new Thread(r, "hnsw-encode");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        int from = (int) ((long) count * w / workers);
        int to = (int) ((long) count * (w + 1) / workers);
        jobs.add(pool.submit(() -> encodeRange(store, from, to)));
      }
      for (Future<?> f : jobs) {
        f.get();
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("encoding vectors failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private void encodeRange(Level0Store store, int from, int to) {
    float[] v = new float[dimension];
    byte[] code = new byte[dimension];
    for (int node = from; node < to; node++) {
      store.readVector(node, v);
      double norm = 0;
      for (int i = 0; i < dimension; i++) {
        int c = step[i] > 0 ? Math.round((v[i] - mid[i]) / step[i]) : 0;
        c = Math.max(-128, Math.min(127, c));
        code[i] = (byte) c;
        double x = mid[i] + (double) step[i] * c;
        norm += x * x;
      }
      chunks[node / perChunk].put((node % perChunk) * stride, code, 0, dimension);
      if (squaredNorms != null) {
        squaredNorms[node] = (float) norm;
      }
    }
  }

  /**
   * One thread's query in the coded space: {@code q·step} per dimension, {@code q·mid} and {@code
   * |q|²}.
   */
  final class Query {
    private final float[] scaled = new float[dimension];
    private final float[] laidOut = new float[stride];
    private float offset;
    private float squaredNorm;
    private final float[] four = new float[4];

    void set(float[] q) {
      double o = 0;
      double n = 0;
      for (int i = 0; i < dimension; i++) {
        scaled[i] = q[i] * step[i];
        o += (double) q[i] * mid[i];
        n += (double) q[i] * q[i];
      }
      offset = (float) o;
      squaredNorm = (float) n;
      KERNELS.prepareCodeQuery(scaled, laidOut);
    }

    private float fromDot(float dot, int node) {
      float product = offset + dot;
      return metric == Metric.L2 ? squaredNorm - 2 * product + squaredNorms[node] : 1f - product;
    }

    float distance(int node) {
      return fromDot(
          KERNELS.dotCodes(laidOut, chunks[node / perChunk], (node % perChunk) * stride), node);
    }

    /**
     * Distances to {@code nodes[0..n-1]} into {@code out}, four at a time so that their memory
     * reads overlap.
     */
    void distances(int[] nodes, int n, float[] out) {
      int i = 0;
      for (; i + 4 <= n; i += 4) {
        int n0 = nodes[i];
        int n1 = nodes[i + 1];
        int n2 = nodes[i + 2];
        int n3 = nodes[i + 3];
        KERNELS.dotCodes4(
            laidOut,
            chunks[n0 / perChunk],
            (n0 % perChunk) * stride,
            chunks[n1 / perChunk],
            (n1 % perChunk) * stride,
            chunks[n2 / perChunk],
            (n2 % perChunk) * stride,
            chunks[n3 / perChunk],
            (n3 % perChunk) * stride,
            four);
        out[i] = fromDot(four[0], n0);
        out[i + 1] = fromDot(four[1], n1);
        out[i + 2] = fromDot(four[2], n2);
        out[i + 3] = fromDot(four[3], n3);
      }
      if (i < n) {
        // the last one to three together too, the last node repeated: one pass with overlapping
        // reads
        // costs less than up to three one after another
        int n0 = nodes[i];
        int n1 = nodes[Math.min(i + 1, n - 1)];
        int n2 = nodes[n - 1];
        KERNELS.dotCodes4(
            laidOut,
            chunks[n0 / perChunk],
            (n0 % perChunk) * stride,
            chunks[n1 / perChunk],
            (n1 % perChunk) * stride,
            chunks[n2 / perChunk],
            (n2 % perChunk) * stride,
            chunks[n2 / perChunk],
            (n2 % perChunk) * stride,
            four);
        for (int k = 0; i + k < n; k++) {
          out[i + k] = fromDot(four[k], nodes[i + k]);
        }
      }
    }
  }

  Query newQuery() {
    return new Query();
  }

  /** Frees the codes' pages and disk at once; nothing may use the codes afterwards. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try (FileChannel f = file) {
      f.truncate(0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release the build's vector codes", e);
    }
  }
}
