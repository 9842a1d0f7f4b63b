import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.hnsw.FloatKernels;
import com.chromacompactor.hnsw.HnswBuilder;
import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.merge.CompactionOptions;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.merge.DeltaFeed;
import com.chromacompactor.snapshot.IndexedSnapshotWriter;
import com.chromacompactor.snapshot.SnapshotDirectory;
import com.chromacompactor.storage.FolderTransfer;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.workflow.OutputManifest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import com.chromacompactor.hnsw.HnswGraph;
import com.chromacompactor.hnsw.HnswParams;
import com.chromacompactor.hnsw.IndexBuild;
import com.chromacompactor.hnsw.Level0Store;
import com.chromacompactor.hnsw.Metric;
import com.chromacompactor.hnsw.PanamaKernels;
import com.chromacompactor.hnsw.VectorKernels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The HNSW benchmark's Java side (run by bench/hnsw/run with the compactor jar on the class path and
 * --add-modules jdk.incubator.vector):
 *
 *   kernels DIM                       ns per distance: scalar loop, 4-way unrolled (float[]), the two
 *                                     FloatKernels the builder can use on a mapped record (Unrolled and
 *                                     PanamaKernels, the default under --add-modules), JDK vector API
 *                                     (float[]); then which one FloatKernels.INSTANCE is
 *   build VECTORS.f32 N DIM SPACE T [MODE]
 *                                     builds a graph of the first N vectors with T threads in a mapped
 *                                     scratch file (MODE exact or quantized, IndexBuild; default the
 *                                     default) and prints seconds, vectors per second and recall@10 at
 *                                     ef 100 (Chroma's default ef_search) of up to 200 queries, the
 *                                     vectors after the first N, against brute force
 *   compact OUT T [--repeat K] [--base B [--download]] DELTA...
 *                                     the indexed compaction (IndexedSnapshotWriter, T build threads),
 *                                     with B as the base of an incremental run, K times in this JVM;
 *                                     --download: B as the workflow's final merge gets it (a copy it owns,
 *                                     made before the clock starts); prints seconds
 */
public final class HnswBench {
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "kernels" -> kernels(Integer.parseInt(args[1]));
      case "build" -> build(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), args[4],
          Integer.parseInt(args[5]), args.length > 6 ? IndexBuild.parse(args[6]) : IndexBuild.DEFAULT);
      case "compact" -> compact(args);
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  static float dotVectorApi(float[] a, float[] b) {
    FloatVector acc = FloatVector.zero(SPECIES);
    int i = 0;
    for (int bound = SPECIES.loopBound(a.length); i < bound; i += SPECIES.length()) {
      acc = FloatVector.fromArray(SPECIES, a, i).fma(FloatVector.fromArray(SPECIES, b, i), acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static void kernels(int dim) {
    int n = 4096;
    Random r = new Random(1);
    float[][] data = new float[n][dim];
    ByteBuffer bytes = ByteBuffer.allocateDirect(n * dim * 4).order(ByteOrder.LITTLE_ENDIAN);
    FloatBuffer fb = bytes.asFloatBuffer();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < dim; j++) {
        data[i][j] = (float) r.nextGaussian();
        fb.put(i * dim + j, data[i][j]);
      }
    }
    float[] q = data[0];
    FloatKernels unrolled = new FloatKernels.Unrolled();
    FloatKernels panama = new PanamaKernels();
    String[] names = {"scalar float[]", "unrolled float[]", "Unrolled mapped buffer", "PanamaKernels mapped buffer",
        "vector API float[] (" + SPECIES.length() + " lanes)"};
    for (int round = 0; round < 3; round++) {
      for (int k = 0; k < names.length; k++) {
        long start = System.nanoTime();
        float sink = 0;
        int reps = 200;
        for (int rep = 0; rep < reps; rep++) {
          for (int i = 0; i < n; i++) {
            sink += switch (k) {
              case 0 -> VectorKernels.dotScalar(q, data[i]);
              case 1 -> VectorKernels.dot(q, data[i]);
              case 2 -> unrolled.dot(q, bytes, fb, i * dim);
              case 3 -> panama.dot(q, bytes, fb, i * dim);
              default -> dotVectorApi(q, data[i]);
            };
          }
        }
        double ns = (System.nanoTime() - start) / (double) (reps * n);
        if (round == 2) {
          System.out.printf("kernel dim=%d %-32s %8.1f ns/distance  (%s)%n", dim, names[k], ns, sink == 42 ? "" : "ok");
        }
      }
    }
    System.out.printf("kernels in use: %s%n", FloatKernels.INSTANCE.name());
  }

  /**
   * {@code compact OUT THREADS [--repeat K] [--base BASE [--download]] DELTA...}: as {@code compactor compact
   * --format indexed [--base BASE]} does, or, with {@code --download}, as the workflow's final merge does.
   * With {@code --repeat K}, the same compaction K times in this JVM (into OUT, OUT-2, …): the first as
   * the CLI runs it, in a fresh JVM; the others as a long-lived worker runs its next task, with classes
   * loaded and code compiled.
   */
  static void compact(String[] args) throws Exception {
    Path out = Path.of(args[1]);
    int threads = Integer.parseInt(args[2]);
    int repeat = 1;
    Path base = null;
    boolean download = false;
    List<Path> deltas = new ArrayList<>();
    for (int i = 3; i < args.length; i++) {
      if (args[i].equals("--base")) {
        base = Path.of(args[++i]);
      } else if (args[i].equals("--download")) {
        download = true;
      } else if (args[i].equals("--repeat")) {
        repeat = Integer.parseInt(args[++i]);
      } else {
        deltas.add(Path.of(args[i]));
      }
    }
    if (download && base == null) {
      throw new IllegalArgumentException("--download is for a base: give --base BASE");
    }
    for (int run = 1; run <= repeat; run++) {
      Path target = run == 1 ? out : out.resolveSibling(out.getFileName() + "-" + run);
      compactOnce(target, threads, base, download, deltas, run == 1 ? "cold" : "warm");
    }
  }

  private static void compactOnce(Path out, int threads, Path base, boolean download, List<Path> deltas, String jvm)
      throws Exception {
    DeltaFeed feed = base == null ? DeltaFeed.of(deltas) : DeltaFeed.withBase(base, deltas);
    if (download) {
      feed = downloaded(feed, out.resolveSibling(out.getFileName() + ".base"));
    }
    long start = System.nanoTime();
    // Phase timestamps (seconds from the start): where an incremental run's time goes.
    CompactionListener phases = new CompactionListener() {
      @Override
      public void deltaMerged(int done, int total, Path delta, long recordsRead) {
        System.out.printf("phase out=%s at=%.2f merged=%d/%d%n", out.getFileName(), (System.nanoTime() - start) / 1e9,
            done, total);
      }

      @Override
      public void indexed(String collection, long done, long total) {
        System.out.printf("phase out=%s at=%.2f indexed=%d/%d%n", out.getFileName(), (System.nanoTime() - start) / 1e9,
            done, total);
      }
    };
    CompactionSummary s = new Compaction(phases, IndexedSnapshotWriter.factory(threads))
        .run(feed, out, CompactionOptions.snapshot());
    System.out.printf("compact out=%s threads=%d base=%s base_from=%s runtime=%s jvm=%s records=%d seconds=%.2f"
        + " kernels=%s%n", out.getFileName(), threads, base == null ? "-" : base.getFileName(),
        base == null ? "-" : download ? "download" : "local", System.getProperty("bench.runtime", "cli"), jvm,
        s.recordsWritten(),
        (System.nanoTime() - start) / 1e9, FloatKernels.INSTANCE.name());
  }

  /**
   * The feed as the workflow's final merge sees it: its base is a copy of the previous snapshot that the
   * compaction owns (BlobDeltaFeed downloads it, and deletes it once merged), so the writer may move its
   * files into the new snapshot. The copy, with the manifest the publish step gave the snapshot, is made
   * here, before the clock starts, as the download is; the manifest is verified when the base is opened,
   * inside the timed run, as BlobDeltaFeed verifies a compactor output it downloads.
   */
  private static DeltaFeed downloaded(DeltaFeed feed, Path copy) throws Exception {
    Path base = feed.open(0);
    // the workflow's own download (FolderTransfer), from a bucket folder that is the base's parent
    FolderTransfer.download(new LocalBlobStore(base.getParent()), base.getFileName() + "/", copy);
    OutputManifest.write(copy, "snapshot", "bench", null, List.of(), Map.of());
    return new DeltaFeed() {
      @Override
      public int size() {
        return feed.size();
      }

      @Override
      public String name(int i) {
        return feed.name(i);
      }

      @Override
      public DeltaOrigin origin(int i) {
        return feed.origin(i);
      }

      @Override
      public boolean baseFirst() {
        return feed.baseFirst();
      }

      @Override
      public boolean disposable(int i) {
        return i == 0;
      }

      @Override
      public Path open(int i) throws IOException {
        if (i != 0) {
          return feed.open(i);
        }
        OutputManifest.check(feed.name(0), copy); // as BlobDeltaFeed checks a compactor output it downloaded
        return copy;
      }

      @Override
      public void release(int i, Path local) throws IOException {
        if (i == 0) {
          SnapshotDirectory.deleteTree(copy); // what BlobDeltaFeed does with a download once it is merged
        }
      }
    };
  }

  static void build(Path file, int n, int dim, String space, int threads, IndexBuild mode) throws Exception {
    Metric metric = space.equals("l2") ? Metric.L2 : Metric.INNER_PRODUCT;
    HnswParams p = new HnswParams(metric, dim, 16, 100, HnswParams.DEFAULT_SEED);
    int stride = 4 + 4 * p.maxM0() + 4 * dim + 8;
    Path scratch = Files.createTempFile("hnsw-bench-", ".bin");
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
        FileChannel ch = FileChannel.open(scratch, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      Level0Store store = Level0Store.map(ch, n, stride, p.maxM0(), dim);
      ByteBuffer buf = ByteBuffer.allocate(dim * 4).order(ByteOrder.LITTLE_ENDIAN);
      int available = (int) (in.size() / (4L * dim));
      float[][] queries = new float[Math.max(0, Math.min(200, available - n))][];
      float[] v = new float[dim];
      for (int i = 0; i < n + queries.length; i++) {
        buf.clear();
        in.read(buf, (long) i * dim * 4);
        buf.flip();
        buf.asFloatBuffer().get(v);
        if (space.equals("cosine")) {
          float norm = (float) Math.sqrt(VectorKernels.dotScalar(v, v));
          for (int j = 0; j < dim; j++) {
            v[j] /= norm;
          }
        }
        if (i < n) {
          store.writeVector(i, v);
        } else {
          queries[i - n] = v.clone();
        }
      }
      HnswGraph g = new HnswGraph(p, store);
      long start = System.nanoTime();
      new HnswBuilder(g, mode).build(n, threads);
      double s = (System.nanoTime() - start) / 1e9;
      System.out.printf("build n=%d dim=%d space=%s threads=%d mode=%s seconds=%.2f vectors_per_s=%.0f recall=%s"
          + " kernels=%s%n", n, dim, space, threads, mode.name().toLowerCase(), s, n / s, recall(g, metric, queries),
          FloatKernels.INSTANCE.name());
    } finally {
      Files.deleteIfExists(scratch);
    }
  }

  /** Recall@10 at ef 100 against brute force (each vector read once, against every query), or "-" without queries. */
  static String recall(HnswGraph g, Metric metric, float[][] queries) {
    if (queries.length == 0) {
      return "-";
    }
    int k = 10;
    int n = g.size();
    float[][] best = new float[queries.length][k];
    int[][] bestNode = new int[queries.length][k];
    for (float[] b : best) {
      java.util.Arrays.fill(b, Float.POSITIVE_INFINITY);
    }
    float[] v = new float[queries[0].length];
    for (int i = 0; i < n; i++) {
      g.level0().readVector(i, v);
      for (int q = 0; q < queries.length; q++) {
        float d = metric.distance(queries[q], v);
        if (d < best[q][k - 1]) {
          int j = k - 1;
          for (; j > 0 && best[q][j - 1] > d; j--) {
            best[q][j] = best[q][j - 1];
            bestNode[q][j] = bestNode[q][j - 1];
          }
          best[q][j] = d;
          bestNode[q][j] = i;
        }
      }
    }
    int hits = 0;
    for (int q = 0; q < queries.length; q++) {
      java.util.Set<Integer> truth = new java.util.HashSet<>();
      for (int node : bestNode[q]) {
        truth.add(node);
      }
      for (int r : HnswBuilder.search(g, queries[q], k, 100)) {
        hits += truth.contains(r) ? 1 : 0;
      }
    }
    return String.format("%.4f", hits / (double) (queries.length * k));
  }
}
