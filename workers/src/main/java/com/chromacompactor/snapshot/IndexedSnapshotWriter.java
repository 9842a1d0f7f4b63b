package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.CollectionKey;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.chroma.EmbeddingRecord;
import com.chromacompactor.chroma.HnswConfig;
import com.chromacompactor.chroma.MetadataSegment;
import com.chromacompactor.chroma.MetadataSegmentWriter;
import com.chromacompactor.chroma.SqliteCheck;
import com.chromacompactor.chroma.SysdbWriter;
import com.chromacompactor.chroma.hnsw.BaseIndex;
import com.chromacompactor.chroma.hnsw.CorruptIndexException;
import com.chromacompactor.chroma.hnsw.HnswSegmentFormat;
import com.chromacompactor.chroma.hnsw.HnswSegmentWriter;
import com.chromacompactor.chroma.hnsw.IdLabelPickleWriter;
import com.chromacompactor.files.FileLinks;
import com.chromacompactor.hnsw.HnswBuilder;
import com.chromacompactor.hnsw.IndexBuild;
import com.chromacompactor.hnsw.KernelWarmUp;
import com.chromacompactor.invariant.InvariantViolation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Writes a snapshot by the compacted route (docs/chroma-format.md, "The compacted route"): the
 * state the target's Chroma itself holds after applying and flushing its queue, so that a reader
 * answers its first query without indexing.
 *
 * <ul>
 *   <li>the metadata segment: {@code embeddings} (segment = the METADATA segment, {@code seq_id} 0
 *       in the target's encoding), {@code embedding_metadata} with the document and uri rows,
 *       {@code embedding_metadata_array} (1.5), and the FTS5 rows, all written during the merge:
 *       the SQLite file is the merge's spill ({@link MetadataSegmentWriter});
 *   <li>per collection with records, the hnswlib folder named by the VECTOR segment id, with a
 *       graph built in Java ({@link HnswBuilder}) directly in the memory-mapped {@code
 *       data_level0.bin}, labels 1..N in {@code embeddings.id} order, and the id map pickle in the
 *       target's form;
 *   <li>no queue rows and no {@code max_seq_id} rows. With a {@code max_seq_id} of N and an empty
 *       queue, Chroma's next write would get seq 1 ≤ N and be skipped, then purged. With none, both
 *       segments are at 0 and every later write is above them.
 * </ul>
 *
 * <p>Vectors wait in a scratch file per collection ({@link IndexedVectorSpill}), found through a
 * scratch table {@code embeddings.id → slot} in the attached scratch database ({@link
 * SnapshotDatabase}), so one transaction per delta covers rows and slots and the heap does not grow
 * with the records. A record taken over with a base snapshot ({@link #seed}) has no slot: its
 * vector is in its id's element of the base index. Per collection the writer keeps one {@link
 * IndexedCollection}.
 *
 * <p>Lifecycle ({@link Phase}): NEW, then {@link #seed} once or {@link #begin} per delta (MERGING),
 * then {@link #finish} (FINISHED), then {@link #close} (CLOSED). Anything else is an {@link
 * IllegalStateException}.
 */
public final class IndexedSnapshotWriter implements SnapshotWriter {
  private static final String SCRATCH_DDL =
      "CREATE TABLE scratch.vectors (row INTEGER PRIMARY KEY, slot INTEGER NOT NULL)";

  /** Where the writer is in its lifecycle. */
  private enum Phase {
    /** Created; nothing written yet. */
    NEW,
    /** A base was offered or a delta begun: records flow in. */
    MERGING,
    /** The snapshot is complete; only {@link #close} remains. */
    FINISHED,
    /** Released. */
    CLOSED
  }

  /**
   * One collection of the snapshot: its slot, its vectors' spill and, when taken over, its base
   * index.
   */
  private static final class IndexedCollection {
    final CollectionSlot slot;
    IndexedVectorSpill spill;

    /**
     * The base index whose elements hold the vectors of the records taken over with the base, or
     * null.
     */
    BaseIndex base;

    /** Elements of {@link #base} whose record the merge has since replaced or deleted. */
    BitSet released;

    IndexedCollection(CollectionSlot slot) {
      this.slot = slot;
    }
  }

  private final Path snapshotDir;
  private final Path scratchDir;
  private final int threads;
  private final ChromaTarget target;
  private final IndexBuild build;
  private final Map<CollectionKey, IndexedCollection> collections = new LinkedHashMap<>();
  private Phase phase = Phase.NEW;
  private Path base;
  private HnswSegmentWriter.BaseFiles baseFiles = HnswSegmentWriter.BaseFiles.COPY;

  /**
   * The base's collections whose indexes a merged base may still lend (see {@link
   * IndexedBase.Plan}).
   */
  private List<CollectionInfo> extendable = List.of();

  private boolean takenOver;

  /**
   * Opened by the first delta or the base, whichever comes first: a base taken over brings its own
   * schema.
   */
  private SnapshotDatabase database;

  private MetadataSegmentWriter segment;
  private PreparedStatement insertSlot;
  private PreparedStatement findSlot;
  private PreparedStatement updateSlot;
  private PreparedStatement deleteSlot;
  private IndexingListener indexing = IndexingListener.NONE;

  private IndexedSnapshotWriter(
      Path snapshotDir, Path scratchDir, int threads, ChromaTarget target, IndexBuild build) {
    this.snapshotDir = snapshotDir;
    this.scratchDir = scratchDir;
    this.threads = threads;
    this.target = target;
    this.build = build;
  }

  /**
   * As {@link #factory(int, ChromaTarget, IndexBuild)}, for readers on the default target's
   * releases.
   */
  public static SnapshotWriter.Factory factory(int threads) {
    return factory(threads, ChromaTarget.DEFAULT);
  }

  /** As {@link #factory(int, ChromaTarget, IndexBuild)}, with the default build. */
  public static SnapshotWriter.Factory factory(int threads, ChromaTarget target) {
    return factory(threads, target, IndexBuild.DEFAULT);
  }

  /**
   * A factory for {@link com.chromacompactor.merge.Compaction}: graphs built the {@code build} way
   * with {@code threads} threads, in {@code target}'s format.
   *
   * <p>Incremental runs: given a feed whose first folder is the previous snapshot ({@link
   * com.chromacompactor.merge.DeltaFeed#withBase}), the writer takes that snapshot over as it
   * stands when this writer wrote it in the target's format ({@link #seed}), else merges it as a
   * delta (saying why); either way each collection's index extends the base's when the base is in
   * the target's format: a record whose vector is the one in the base index keeps its element,
   * label and links; the base elements of replaced and deleted ids are marked deleted (hnswlib's
   * deleted flag: they still route searches but are never returned); the rest is inserted into the
   * loaded graph. {@code get()} equals a full rebuild's. A collection whose base index does not fit
   * (other M, dimension or ef_construction), or where fewer than half of the base elements survive,
   * is rebuilt from scratch.
   */
  public static SnapshotWriter.Factory factory(int threads, ChromaTarget target, IndexBuild build) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1; threads=" + threads);
    }
    Objects.requireNonNull(build, "build");
    return (snapshotDir, scratchDir) ->
        new IndexedSnapshotWriter(snapshotDir, scratchDir, threads, target, build);
  }

  private void use(SnapshotDatabase opened, MetadataSegmentWriter.FullText fullText)
      throws IOException {
    database = opened;
    try {
      Connection db = database.connection();
      segment = new MetadataSegmentWriter(db, target, fullText);
      insertSlot = db.prepareStatement("INSERT INTO scratch.vectors (row, slot) VALUES (?, ?)");
      findSlot = db.prepareStatement("SELECT slot FROM scratch.vectors WHERE row = ?");
      updateSlot = db.prepareStatement("UPDATE scratch.vectors SET slot = ? WHERE row = ?");
      deleteSlot = db.prepareStatement("DELETE FROM scratch.vectors WHERE row = ?");
    } catch (SQLException e) {
      throw new IOException("preparing snapshot " + snapshotDir + ": " + e.getMessage(), e);
    }
  }

  /** Opens a new {@code chroma.sqlite3} with the target's schema, unless one is open already. */
  private void openNew() throws IOException {
    if (database == null) {
      use(
          SnapshotDatabase.create(
              snapshotDir.resolve(DeltaReader.SQLITE_FILE), scratchFile(), SCRATCH_DDL, target),
          MetadataSegmentWriter.FullText.AT_THE_END);
    }
  }

  private Path scratchFile() {
    return scratchDir.resolve("indexed-ids.sqlite3");
  }

  @Override
  public CollectionSlot collection(CollectionInfo first) {
    return collections.computeIfAbsent(
            first.key(),
            k -> {
              CollectionSlot slot = CollectionSlot.of(collections.size(), first);
              // an index build comes at the end; its kernels get compiled meanwhile
              KernelWarmUp.start(slot.hnsw().space().metric(), build);
              return new IndexedCollection(slot);
            })
        .slot;
  }

  private IndexedCollection state(CollectionSlot slot) {
    IndexedCollection c = collections.get(slot.key());
    if (c == null || c.slot != slot) {
      throw new IllegalStateException(
          "collection " + slot.key() + " is not one of this snapshot's");
    }
    return c;
  }

  /**
   * Takes a previous snapshot of this writer over as it stands, when {@link IndexedBase#plan}
   * allows: its {@code chroma.sqlite3} is copied (rows, FTS and sysdb, all as they are), and each
   * record's vector stays where it is, in an element of the base index, until the index is
   * extended. That is the incremental run's saving: nothing of the base is parsed, rewritten or
   * re-inserted. Otherwise the base is merged as a delta, and {@link #finish} can still extend its
   * indexes if it is in the target's format. A base whose files are {@link
   * HnswSegmentWriter.BaseFiles#MOVE MOVE} gives them up: they are moved into the snapshot, not
   * copied.
   */
  @Override
  public Optional<List<SeededCollection>> seed(
      Path previous, HnswSegmentWriter.BaseFiles files, SqliteCheck check) throws IOException {
    require(Phase.NEW, "a base snapshot comes before any delta");
    phase = Phase.MERGING;
    base = previous;
    baseFiles = files;
    IndexedBase.Plan plan = IndexedBase.plan(previous, target, check);
    extendable = plan.extendable();
    if (!plan.takeOver()) {
      String notice =
          "base snapshot "
              + previous
              + " is merged as a delta, not taken over: "
              + plan.reasonToMerge()
              + (extendable.isEmpty() ? "; its indexes are rebuilt" : "");
      indexing.notice(notice);
      return Optional.empty();
    }
    Path sqlite = snapshotDir.resolve(DeltaReader.SQLITE_FILE);
    if (files == HnswSegmentWriter.BaseFiles.MOVE
        && FileLinks.soleLink(previous.resolve(DeltaReader.SQLITE_FILE))) {
      Files.move(
          previous.resolve(DeltaReader.SQLITE_FILE), sqlite, StandardCopyOption.REPLACE_EXISTING);
    } else {
      Files.copy(
          previous.resolve(DeltaReader.SQLITE_FILE), sqlite, StandardCopyOption.REPLACE_EXISTING);
    }
    // the base's documents are in its full-text table already: each change is made there as it
    // comes
    use(
        SnapshotDatabase.takeOver(sqlite, scratchFile(), SCRATCH_DDL),
        MetadataSegmentWriter.FullText.WITH_EACH_RECORD);
    List<SeededCollection> out = new ArrayList<>();
    for (IndexedBase.Collection c : plan.collections()) {
      IndexedCollection state = state(collection(c.info()));
      if (c.index() != null) {
        state.base = c.index();
        state.released = new BitSet(c.index().count());
      }
      out.add(new SeededCollection(c.info(), c.records()));
    }
    takenOver = true;
    return Optional.of(out);
  }

  @Override
  public void begin(DeltaOrigin origin) throws IOException {
    if (phase != Phase.NEW && phase != Phase.MERGING) {
      throw new IllegalStateException("snapshot already " + phase.name().toLowerCase());
    }
    phase = Phase.MERGING;
    openNew();
    segment.floatsAsStored(false);
  }

  @Override
  public void indexing(IndexingListener listener) {
    indexing = listener;
  }

  @Override
  public void metadataAsStored(boolean asStored) {
    segment.floatsAsStored(asStored);
  }

  @Override
  public void commit() throws IOException {
    if (database == null) {
      return;
    }
    database.commit();
    collections.values().stream().filter(c -> c.spill != null).forEach(c -> c.spill.commit());
  }

  @Override
  public void rollback() throws IOException {
    if (database == null) {
      return;
    }
    database.rollback();
    collections.values().stream().filter(c -> c.spill != null).forEach(c -> c.spill.rollback());
  }

  /** The stored record, with {@code seqId} = its {@code embeddings.id}. */
  @Override
  public StoredRecord find(CollectionSlot slot, String id) throws IOException {
    require(Phase.MERGING, "records are found while merging");
    try {
      long rowId = segment.find(slot.metadataSegmentId(), id);
      return rowId < 0 ? null : new StoredRecord(slot, rowId, segment.read(id, rowId));
    } catch (SQLException e) {
      throw new IOException("reading the snapshot: " + e.getMessage(), e);
    }
  }

  @Override
  public void insert(CollectionSlot slot, EmbeddingRecord r) throws IOException {
    require(Phase.MERGING, "records are inserted while merging");
    IndexedVectorSpill spill = spill(state(slot), r.dimension());
    try {
      long rowId = segment.insert(slot.metadataSegmentId(), r.id());
      segment.write(slot.key(), rowId, r, null);
      insertSlot.setLong(1, rowId);
      insertSlot.setLong(2, spill.append(r.embedding()));
      insertSlot.executeUpdate();
    } catch (SQLException e) {
      throw new IOException(
          "writing record '" + r.id() + "' of " + slot.key() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void replace(StoredRecord stored, EmbeddingRecord r) throws IOException {
    require(Phase.MERGING, "records are replaced while merging");
    IndexedCollection state = state(stored.slot());
    IndexedVectorSpill spill = spill(state, r.dimension());
    long rowId = stored.seqId();
    try {
      segment.deleteValues(rowId);
      segment.write(state.slot.key(), rowId, r, stored.record().metadata());
      findSlot.setLong(1, rowId);
      Long old = null;
      try (ResultSet rs = findSlot.executeQuery()) {
        if (rs.next()) {
          old = rs.getLong(1);
        }
      }
      if (old == null) {
        release(state, r.id()); // held by the base until now; the vector may have changed
        insertSlot.setLong(1, rowId);
        insertSlot.setLong(2, spill.append(r.embedding()));
        insertSlot.executeUpdate();
      } else {
        long now = spill.replace(old, r.embedding());
        if (now != old) {
          updateSlot.setLong(1, now);
          updateSlot.setLong(2, rowId);
          updateSlot.executeUpdate();
        }
      }
    } catch (SQLException e) {
      throw new IOException(
          "rewriting record '" + r.id() + "' of " + state.slot.key() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void delete(StoredRecord stored) throws IOException {
    require(Phase.MERGING, "records are deleted while merging");
    long rowId = stored.seqId();
    try {
      segment.deleteRecord(rowId);
      deleteSlot.setLong(1, rowId);
      if (deleteSlot.executeUpdate() == 0) {
        release(state(stored.slot()), stored.record().id());
      }
    } catch (SQLException e) {
      throw new IOException("deleting record '" + stored.record().id() + "': " + e.getMessage(), e);
    }
  }

  /** The base element of a record taken over with the base no longer holds it. */
  private void release(IndexedCollection state, String id) throws IOException {
    if (state.base == null) {
      throw new InvariantViolation(
          "collection "
              + state.slot.key()
              + ": record '"
              + id
              + "' has neither a vector slot nor a base index to hold it");
    }
    state.released.set(baseNode(state, id));
  }

  /**
   * The base element of record {@code id}, which a base taken over must have: else the base is
   * corrupt.
   */
  private int baseNode(IndexedCollection state, String id) throws IOException {
    try {
      return state.base.requireNode(id);
    } catch (CorruptIndexException e) {
      throw new CorruptDeltaException(
          base,
          DeltaProblem.CORRUPT_HNSW,
          "collection " + state.slot.key() + ": " + e.getMessage(),
          e);
    }
  }

  private IndexedVectorSpill spill(IndexedCollection state, int dimension) throws IOException {
    if (state.spill == null) {
      state.spill =
          new IndexedVectorSpill(
              scratchDir.resolve("vectors-" + state.slot.ordinal() + ".f32"), dimension);
    } else if (state.spill.dimension() != dimension) {
      // the registry refuses a delta whose dimension differs, and the reader each vector of another
      // length
      throw new InvariantViolation(
          "collection "
              + state.slot.key()
              + " of dimension "
              + state.spill.dimension()
              + " was given a record of dimension "
              + dimension);
    }
    return state.spill;
  }

  /**
   * Writes the sysdb rows, builds each collection's index from its live records, and returns the
   * number of live records per collection.
   */
  @Override
  public Map<CollectionKey, Long> finish(List<CollectionDefinition> definitions)
      throws IOException {
    if (phase != Phase.NEW && phase != Phase.MERGING) {
      throw new IllegalStateException("snapshot already " + phase.name().toLowerCase());
    }
    phase = Phase.FINISHED;
    openNew(); // no base and no delta: an empty snapshot
    try {
      if (takenOver) {
        // the base's rows, written anew from the merged definitions
        SysdbWriter.clearCollections(database.connection());
      }
      segment.finish();
      database.writeCollections(target, definitions);
      database.markApplied(target, definitions);
      Map<CollectionKey, Long> counts = new LinkedHashMap<>();
      for (CollectionDefinition c : definitions) {
        long live = MetadataSegment.count(database.connection(), c.slot().metadataSegmentId());
        counts.put(c.slot().key(), live);
        if (live > 0) {
          writeIndex(c, live);
        }
      }
      database.finish();
      return counts;
    } catch (SQLException e) {
      throw new IOException("finishing the snapshot: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while building an index", e);
    }
  }

  private void writeIndex(CollectionDefinition c, long live)
      throws SQLException, IOException, InterruptedException {
    IndexedCollection state = state(c.slot());
    CollectionSlot slot = state.slot;
    int dimension = c.dimension() != null ? c.dimension() : state.spill.dimension();
    BaseIndex previous = state.base;
    if (previous == null && base != null) {
      previous = IndexedBase.find(base, extendable, slot, dimension);
    }
    HnswBuilder.Progress progress =
        (done, total) -> indexing.indexed(slot.key().toString(), done, total);
    if (previous != null
        && new IndexedExtension(
                database.connection(),
                snapshotDir,
                target,
                (at, into) -> state.spill.read(at, into),
                previous,
                baseFiles,
                state.released,
                threads,
                build,
                progress)
            .write(c, live, dimension)) {
      return;
    }
    writeFullIndex(state, live, dimension, progress);
  }

  /**
   * The vector of record {@code id}: at {@code at} in the spill, or, if null, in its element of the
   * base.
   */
  private void readVector(IndexedCollection state, String id, Long at, float[] into)
      throws IOException {
    if (at != null) {
      state.spill.read(at, into);
      return;
    }
    if (state.base == null) {
      throw new InvariantViolation(
          "collection "
              + state.slot.key()
              + ": record '"
              + id
              + "' has neither a vector slot nor a base element");
    }
    state.base.reader().vectorInto(baseNode(state, id), into);
  }

  private void writeFullIndex(
      IndexedCollection state, long live, int dimension, HnswBuilder.Progress progress)
      throws SQLException, IOException, InterruptedException {
    CollectionSlot slot = state.slot;
    HnswConfig config = slot.hnsw();
    Path folder = snapshotDir.resolve(slot.vectorSegmentId());
    try (HnswSegmentWriter index =
            HnswSegmentWriter.create(
                folder, config.params(dimension), config.space().vectorForm(), live);
        PreparedStatement ps =
            database
                .connection()
                .prepareStatement(
                    "SELECT e.embedding_id, v.slot FROM"
                        + " embeddings e LEFT JOIN scratch.vectors v ON v.row = e.id WHERE e.segment_id = ? ORDER BY e.id")) {
      ps.setString(1, slot.metadataSegmentId());
      float[] vector = new float[dimension];
      int node = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long at = rs.getLong(2);
          Long spilled = rs.wasNull() ? null : at; // asked before any other column is read
          readVector(state, rs.getString(1), spilled, vector);
          index.setElement(node, node + 1L, vector); // labels 1..N, as Chroma assigns them
          node++;
        }
      }
      if (node != live) {
        throw new InvariantViolation(
            slot.key() + ": " + live + " records counted but " + node + " read for the index");
      }
      new HnswBuilder(index.graph(), build).build(node, threads, progress);
      index.finish();
      IdLabelPickleWriter.write(
          folder.resolve(HnswSegmentFormat.PICKLE),
          target.format().idMap(),
          dimension,
          target.format().appliedSeqId(),
          live,
          visitor -> {
            try (ResultSet rs = ps.executeQuery()) {
              long label = 1;
              while (rs.next()) {
                visitor.accept(rs.getString(1), label++);
              }
            } catch (SQLException e) {
              throw new IOException("reading ids of " + slot.key() + ": " + e.getMessage(), e);
            }
          });
    }
  }

  private void require(Phase expected, String rule) {
    if (phase != expected) {
      throw new IllegalStateException(rule + "; the snapshot is " + phase.name().toLowerCase());
    }
  }

  /**
   * Releases the spills and the database and deletes the scratch files. Every step runs; the first
   * failure is thrown with the later ones suppressed on it.
   */
  @Override
  public void close() throws IOException {
    if (phase == Phase.CLOSED) {
      return;
    }
    phase = Phase.CLOSED;
    IOException failure = null;
    for (IndexedCollection c : collections.values()) {
      if (c.spill != null) {
        failure = closeStep(failure, c.spill::close);
      }
    }
    if (database != null) {
      failure = closeStep(failure, database::close);
    }
    failure = closeStep(failure, () -> Files.deleteIfExists(scratchFile()));
    if (failure != null) {
      throw failure;
    }
  }

  /** One step of {@link #close}. */
  @FunctionalInterface
  private interface CloseStep {
    void run() throws IOException;
  }

  private static IOException closeStep(IOException failure, CloseStep step) {
    try {
      step.run();
    } catch (IOException e) {
      if (failure == null) {
        return e;
      }
      failure.addSuppressed(e);
    }
    return failure;
  }
}
