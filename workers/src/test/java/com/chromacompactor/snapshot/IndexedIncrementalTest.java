package com.chromacompactor.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.merge.CompactionOptions;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.merge.DeltaFeed;
import com.chromacompactor.testing.ChromaPython;
import com.chromacompactor.testing.SqliteDamage;
import com.chromacompactor.testing.TempTrees;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An incremental run (the previous snapshot as base, taken over as it stands, then a new delta with
 * added, updated and deleted ids) against a full rebuild of the same deltas: real chromadb must
 * return the same get(), the incremental index must keep the base elements (its element count is
 * the base's plus the added and updated ones), and recall stays at 0.95.
 */
class IndexedIncrementalTest {

  @ParameterizedTest
  @ValueSource(strings = {"l2", "cosine"})
  void incrementalEqualsFullRebuild(String space) throws Exception {
    int n = 2000;
    int dim = 64;
    Path root = TempTrees.create("indexed-incremental-");
    ChromaPython.runScript("index_fixtures.py", "vectors", root, n, dim, 200, space, "lowrank");
    ChromaPython.runScript(
        "index_fixtures.py", "more", root, n, 150, 100, 50, dim, space, "lowrank");
    Path delta1 = root.resolve("delta");
    Path delta2 = root.resolve("delta2");
    Path base = root.resolve("base");
    Path full = root.resolve("full");
    Path incremental = root.resolve("incremental");
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(2))
        .run(List.of(delta1), base);
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(2))
        .run(List.of(delta1, delta2), full);
    CompactionSummary summary =
        new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(2))
            .run(
                DeltaFeed.withBase(base, List.of(delta2)),
                incremental,
                CompactionOptions.snapshot());

    assertEquals(
        150 + 100,
        summary.recordsRead(),
        "the base is taken over as it stands: only the delta is read");
    assertEquals(n + 150 - 50, summary.recordsWritten());

    assertEquals(
        n + 150 + 100,
        elements(incremental),
        "base elements kept, added and updated ones appended");
    assertEquals(n + 150 - 50, elements(full));

    ChromaPython.runScript("index_fixtures.py", "inspect", root.resolve("full.json"), full);
    ChromaPython.runScript(
        "index_fixtures.py", "inspect", root.resolve("incremental.json"), incremental);
    ObjectMapper json = new ObjectMapper();
    JsonNode f =
        json.readTree(root.resolve("full.json").toFile()).path("collections").path("vectors");
    JsonNode i =
        json.readTree(root.resolve("incremental.json").toFile())
            .path("collections")
            .path("vectors");
    assertEquals(n + 150 - 50, i.path("count").asInt());
    assertEquals(
        f.path("records"), i.path("records"), "get() of the incremental and the full snapshot");
    ChromaPython.runScript(
        "index_fixtures.py",
        "recall",
        root.resolve("recall.json"),
        incremental,
        root.resolve("queries.npy"));
    double recall = json.readTree(root.resolve("recall.json").toFile()).path("recall").asDouble();
    assertTrue(recall >= 0.95, "recall@10 of the incremental index " + recall);
  }

  /**
   * Records of the base upserted with their own vectors and new metadata keep their elements: the
   * incremental index has no element more than the base's, and get() is the full rebuild's.
   */
  @Test
  void anUpdateOfMetadataOnlyKeepsTheBaseElements() throws Exception {
    int n = 600;
    int dim = 32;
    Path root = TempTrees.create("indexed-incremental-same-");
    ChromaPython.runScript("index_fixtures.py", "vectors", root, n, dim, 20, "cosine", "lowrank");
    ChromaPython.runScript("index_fixtures.py", "same", root, n, dim, "cosine", "lowrank", 250);
    Path full = root.resolve("full");
    Path incremental = root.resolve("incremental");
    CompactionSummary summary = baseFullAndIncremental(root, "delta3");

    assertEquals(250, summary.recordsRead());
    assertEquals(n, summary.recordsWritten());
    assertEquals(n, elements(incremental), "every base element kept, none added");
    assertSameGet(root, full, incremental, n);
  }

  /**
   * A base whose records were mostly given new vectors is not extended but rebuilt, the vectors of
   * the records the delta left alone read from their elements of the base index.
   */
  @Test
  void aMostlyReplacedBaseIsRebuiltFromScratch() throws Exception {
    int n = 600;
    int dim = 32;
    Path root = TempTrees.create("indexed-incremental-rebuilt-");
    ChromaPython.runScript("index_fixtures.py", "vectors", root, n, dim, 20, "l2", "lowrank");
    ChromaPython.runScript("index_fixtures.py", "more", root, n, 30, 400, 20, dim, "l2", "lowrank");
    Path full = root.resolve("full");
    Path incremental = root.resolve("incremental");
    CompactionSummary summary = baseFullAndIncremental(root, "delta2");

    assertEquals(
        430, summary.recordsRead(), "the base is still taken over: only the delta is read");
    assertEquals(n + 30 - 20, summary.recordsWritten());
    assertEquals(
        n + 30 - 20, elements(incremental), "a new graph: no deleted elements carried over");
    assertSameGet(root, full, incremental, n + 30 - 20);
  }

  /**
   * A base the compaction owns (a download it deletes afterwards) gives its files up to the
   * snapshot, which comes out byte for byte as from a base that is copied; a base the caller owns
   * is left as it was.
   */
  @Test
  void aDisposableBaseIsMovedAndAKeptOneLeftAlone() throws Exception {
    int n = 600;
    int dim = 32;
    Path root = TempTrees.create("indexed-incremental-move-");
    ChromaPython.runScript("index_fixtures.py", "vectors", root, n, dim, 20, "l2", "lowrank");
    ChromaPython.runScript("index_fixtures.py", "more", root, n, 40, 30, 20, dim, "l2", "lowrank");
    Path base = root.resolve("base");
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
        .run(List.of(root.resolve("delta")), base);
    Path segment;
    try (var dirs = Files.list(base)) {
      segment = base.relativize(dirs.filter(Files::isDirectory).findFirst().orElseThrow());
    }
    Path level0 = segment.resolve("data_level0.bin");
    byte[] baseLevel0 = Files.readAllBytes(base.resolve(level0));
    byte[] baseSqlite = Files.readAllBytes(base.resolve("chroma.sqlite3"));

    Path copied = root.resolve("copied");
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
        .run(
            DeltaFeed.withBase(base, List.of(root.resolve("delta2"))),
            copied,
            CompactionOptions.snapshot());
    assertArrayEquals(
        baseLevel0, Files.readAllBytes(base.resolve(level0)), "the caller's base is untouched");
    assertArrayEquals(baseSqlite, Files.readAllBytes(base.resolve("chroma.sqlite3")));

    Path download = root.resolve("download");
    copyTree(base, download);
    DeltaFeed owned = disposable(DeltaFeed.withBase(download, List.of(root.resolve("delta2"))));
    Path moved = root.resolve("moved");
    CompactionSummary summary =
        new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
            .run(owned, moved, CompactionOptions.snapshot());

    assertEquals(40 + 30, summary.recordsRead(), "taken over as it stands");
    assertTrue(!Files.exists(download.resolve(level0)), "the index file was moved, not copied");
    assertTrue(!Files.exists(download.resolve("chroma.sqlite3")));
    assertArrayEquals(
        Files.readAllBytes(copied.resolve(level0)),
        Files.readAllBytes(moved.resolve(level0)),
        "the same index whether the base was copied or moved");
    assertEquals(n + 40 + 30, elements(moved));
    assertSameGet(root, copied, moved, n + 40 - 20);

    // A download that shares its blocks with the caller's base (hard links) is copied all the same.
    Path linked = root.resolve("linked");
    Files.createDirectories(linked.resolve(segment));
    try (var files = Files.list(base.resolve(segment))) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.createLink(linked.resolve(segment).resolve(p.getFileName().toString()), p);
      }
    }
    Files.createLink(linked.resolve("chroma.sqlite3"), base.resolve("chroma.sqlite3"));
    Path fromLinks = root.resolve("from-links");
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
        .run(
            disposable(DeltaFeed.withBase(linked, List.of(root.resolve("delta2")))),
            fromLinks,
            CompactionOptions.snapshot());
    assertTrue(Files.exists(linked.resolve(level0)), "a hard-linked index file is not moved");
    assertArrayEquals(
        baseLevel0, Files.readAllBytes(base.resolve(level0)), "nor written through its link");
    assertArrayEquals(baseSqlite, Files.readAllBytes(base.resolve("chroma.sqlite3")));
    assertTrue(Files.exists(linked.resolve("chroma.sqlite3")));
    assertArrayEquals(
        Files.readAllBytes(copied.resolve(level0)), Files.readAllBytes(fromLinks.resolve(level0)));
  }

  /** {@code local}, but its folders are the compaction's own copies (as a download is). */
  private static DeltaFeed disposable(DeltaFeed local) {
    return new DeltaFeed() {
      @Override
      public int size() {
        return local.size();
      }

      @Override
      public String name(int index) {
        return local.name(index);
      }

      @Override
      public DeltaOrigin origin(int index) {
        return local.origin(index);
      }

      @Override
      public boolean baseFirst() {
        return local.baseFirst();
      }

      @Override
      public boolean disposable(int index) {
        return true;
      }

      @Override
      public Path open(int index) throws IOException {
        return local.open(index);
      }

      @Override
      public void release(int index, Path folder) throws IOException {
        local.release(index, folder);
      }
    };
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }

  /**
   * On one thread, from ROOT/delta and ROOT/{@code delta}: ROOT/base from the first, ROOT/full from
   * both, and ROOT/incremental from the base and the second; the incremental run's summary.
   */
  private static CompactionSummary baseFullAndIncremental(Path root, String delta)
      throws Exception {
    Path base = root.resolve("base");
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
        .run(List.of(root.resolve("delta")), base);
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
        .run(List.of(root.resolve("delta"), root.resolve(delta)), root.resolve("full"));
    return new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
        .run(
            DeltaFeed.withBase(base, List.of(root.resolve(delta))),
            root.resolve("incremental"),
            CompactionOptions.snapshot());
  }

  private static void assertSameGet(Path root, Path full, Path incremental, int count)
      throws Exception {
    ChromaPython.runScript("index_fixtures.py", "inspect", root.resolve("full.json"), full);
    ChromaPython.runScript(
        "index_fixtures.py", "inspect", root.resolve("incremental.json"), incremental);
    ObjectMapper json = new ObjectMapper();
    JsonNode f =
        json.readTree(root.resolve("full.json").toFile()).path("collections").path("vectors");
    JsonNode i =
        json.readTree(root.resolve("incremental.json").toFile())
            .path("collections")
            .path("vectors");
    assertEquals(count, i.path("count").asInt());
    assertEquals(count, i.path("records").size());
    assertEquals(
        f.path("records"), i.path("records"), "get() of the incremental and the full snapshot");
  }

  /** A base that cannot be taken over (the queue route's) is merged as the first delta instead. */
  @Test
  void aQueueRouteBaseIsMergedAsADelta() throws Exception {
    int n = 600;
    int dim = 32;
    Path root = TempTrees.create("indexed-incremental-queue-");
    ChromaPython.runScript("index_fixtures.py", "vectors", root, n, dim, 50, "l2", "lowrank");
    ChromaPython.runScript("index_fixtures.py", "more", root, n, 40, 30, 20, dim, "l2", "lowrank");
    Path base = root.resolve("base");
    Path full = root.resolve("full");
    Path incremental = root.resolve("incremental");
    new Compaction(CompactionListener.NONE).run(List.of(root.resolve("delta")), base);
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
        .run(List.of(root.resolve("delta"), root.resolve("delta2")), full);
    CompactionSummary summary =
        new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
            .run(
                DeltaFeed.withBase(base, List.of(root.resolve("delta2"))),
                incremental,
                CompactionOptions.snapshot());

    assertEquals(n + 40 + 30, summary.recordsRead(), "the base's records are read and merged");
    assertEquals(n + 40 - 20, summary.recordsWritten());
    ChromaPython.runScript("index_fixtures.py", "inspect", root.resolve("full.json"), full);
    ChromaPython.runScript(
        "index_fixtures.py", "inspect", root.resolve("incremental.json"), incremental);
    ObjectMapper json = new ObjectMapper();
    assertEquals(
        json.readTree(root.resolve("full.json").toFile())
            .path("collections")
            .path("vectors")
            .path("records"),
        json.readTree(root.resolve("incremental.json").toFile())
            .path("collections")
            .path("vectors")
            .path("records"));
  }

  /**
   * A base whose rows and index disagree is refused, naming it: taking it over would lose records.
   */
  @Test
  void aBaseWithARecordMissingFromItsIndexIsRefused() throws Exception {
    Path root = TempTrees.create("indexed-incremental-bad-");
    Path base = smallBase(root);
    try (var db =
            java.sql.DriverManager.getConnection("jdbc:sqlite:" + base.resolve("chroma.sqlite3"));
        var st = db.createStatement()) {
      assertEquals(
          1,
          st.executeUpdate(
              "INSERT INTO embeddings (segment_id, embedding_id, seq_id)"
                  + " SELECT segment_id, 'ghost', 0 FROM embeddings LIMIT 1"));
    }
    Path out = root.resolve("incremental");
    com.chromacompactor.chroma.CorruptDeltaException e = refusedOn(base, root, out);
    assertEquals(com.chromacompactor.chroma.DeltaProblem.CORRUPT_HNSW, e.problem());
    assertTrue(e.getMessage().startsWith("delta " + base + ": CORRUPT_HNSW: "), e.getMessage());
    assertTrue(
        e.getMessage().contains("301 records but 300 of them have a live element"), e.getMessage());
    assertTrue(!Files.exists(out), "nothing written");
  }

  /**
   * A base given by the caller (the CLI's {@code --base}) is quick_checked on another thread while
   * the run goes on; a base that fails the check is refused, naming it, and nothing is published.
   */
  @Test
  void aBaseThatFailsQuickCheckIsRefusedAndNothingWritten() throws Exception {
    Path root = TempTrees.create("indexed-incremental-broken-");
    Path base = smallBase(root);
    SqliteDamage.breakLastPage(base.resolve("chroma.sqlite3"));
    Path out = root.resolve("incremental");
    com.chromacompactor.chroma.CorruptDeltaException e = refusedOn(base, root, out);
    assertEquals(com.chromacompactor.chroma.DeltaProblem.CORRUPT_SQLITE, e.problem());
    assertTrue(
        e.getMessage()
            .startsWith("delta " + base + ": CORRUPT_SQLITE: chroma.sqlite3: quick_check: "),
        e.getMessage());
    assertTrue(e.getMessage().contains("malformed"), e.getMessage());
    assertTrue(!Files.exists(out), "nothing written");
  }

  /** A base of 300 16-d records from {@code root}'s "delta", with "delta2" made beside it. */
  private static Path smallBase(Path root) throws Exception {
    ChromaPython.runScript("index_fixtures.py", "vectors", root, 300, 16, 10, "l2", "lowrank");
    ChromaPython.runScript("index_fixtures.py", "more", root, 300, 10, 10, 5, 16, "l2", "lowrank");
    Path base = root.resolve("base");
    new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
        .run(List.of(root.resolve("delta")), base);
    return base;
  }

  /** The refusal of an incremental run of "delta2" on {@code base}. */
  private static com.chromacompactor.chroma.CorruptDeltaException refusedOn(
      Path base, Path root, Path out) {
    return org.junit.jupiter.api.Assertions.assertThrows(
        com.chromacompactor.chroma.CorruptDeltaException.class,
        () ->
            new Compaction(CompactionListener.NONE, IndexedSnapshotWriter.factory(1))
                .run(
                    DeltaFeed.withBase(base, List.of(root.resolve("delta2"))),
                    out,
                    CompactionOptions.snapshot()));
  }

  private static long elements(Path snapshot) throws Exception {
    try (var dirs = Files.list(snapshot)) {
      Path header = dirs.filter(Files::isDirectory).findFirst().orElseThrow().resolve("header.bin");
      return ByteBuffer.wrap(Files.readAllBytes(header)).order(ByteOrder.LITTLE_ENDIAN).getLong(20);
    }
  }
}
