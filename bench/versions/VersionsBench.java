import com.chromacompactor.merge.DeltaVersion;
import com.chromacompactor.merge.RecordVersions;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The per-id record versions of a large snapshot (issue 15): a store of N ids written as one delta's operations,
 * its size on disk, and the point lookups a late delta's merge makes, in a JVM whose heap is the CLI's 64 MB.
 * Run by bench/versions/run; prints one line per figure.
 */
public final class VersionsBench {
  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    int lookups = Integer.parseInt(args[1]);
    Path dir = Path.of(args[2]);
    Path file = dir.resolve(RecordVersions.FILE);
    Files.deleteIfExists(file);
    DeltaVersion base = new DeltaVersion(1_765_022_400_000L, "deltas/20261206T120000000Z-3f9a1c2e/");

    long start = System.nanoTime();
    try (RecordVersions store = RecordVersions.create(file)) {
      for (int i = 0; i < n; i++) {
        store.recordWrite("receipt_words", id(i), base);
      }
      store.commit();
    }
    double writeSeconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("write %,d ids (one delta, one transaction): %.2f s, %.2f us/id%n", n, writeSeconds,
        writeSeconds * 1e6 / n);
    System.out.printf("file size: %,d bytes (%.1f bytes/id)%n", Files.size(file), (double) Files.size(file) / n);

    SplittableRandom random = new SplittableRandom(42);
    try (RecordVersions store = RecordVersions.openReadOnly(file)) {
      for (int i = 0; i < 20_000; i++) { // warm-up: JIT and SQLite's page cache
        store.find("receipt_words", id(random.nextInt(n)));
      }
      start = System.nanoTime();
      int found = 0;
      for (int i = 0; i < lookups; i++) {
        found += store.find("receipt_words", id(random.nextInt(n))).isPresent() ? 1 : 0;
      }
      double hitSeconds = (System.nanoTime() - start) / 1e9;
      start = System.nanoTime();
      for (int i = 0; i < lookups; i++) {
        found += store.find("receipt_words", "absent-" + random.nextInt(n)).isPresent() ? 1 : 0;
      }
      double missSeconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("lookups of present ids: %,d in %.2f s, %.1f us each (%d found)%n", lookups, hitSeconds,
          hitSeconds * 1e6 / lookups, found);
      System.out.printf("lookups of absent ids: %,d in %.2f s, %.1f us each%n", lookups, missSeconds,
          missSeconds * 1e6 / lookups);
    }
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.printf("peak heap: %.1f MB (max heap %d MB)%n", peak / 1048576.0,
        Runtime.getRuntime().maxMemory() >> 20);
  }

  private static String id(int i) {
    return String.format("word-%08d", i);
  }
}
