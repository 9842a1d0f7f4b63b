package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.CollectionKey;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.chroma.EmbeddingRecord;
import com.chromacompactor.chroma.HnswConfig;
import com.chromacompactor.chroma.hnsw.HnswSegmentWriter;
import com.chromacompactor.chroma.hnsw.IdLabelPickleWriter;
import com.chromacompactor.hnsw.HnswBuilder;
import com.chromacompactor.hnsw.KernelWarmUp;
import com.chromacompactor.storage.LocalFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a snapshot by the compacted route (§10.2 of the format notes): the state Chroma itself holds
 * after applying and flushing its queue, so that a reader answers its first query without indexing.
 *
 * <ul>
 *   <li>the metadata segment: {@code embeddings} (segment = the METADATA segment, {@code seq_id} 0),
 *       {@code embedding_metadata} with the document and uri rows, {@code embedding_metadata_array},
 *       and the FTS5 rows, all written during the merge: the SQLite file is the merge's spill;
 *   <li>per collection with records, the hnswlib folder named by the VECTOR segment id, with a graph
 *       built in Java ({@link HnswBuilder}) directly in the memory-mapped {@code data_level0.bin},
 *       labels 1..N in {@code embeddings.id} order, and the dict-form id map pickle;
 *   <li>no queue rows and no {@code max_seq_id} rows. With a {@code max_seq_id} of N and an empty
 *       queue, Chroma's next write would get seq 1 ≤ N and be skipped, then purged. With none, both
 *       segments are at 0 and every later write is above them.
 * </ul>
 *
 * <p>Vectors wait in a scratch file per collection ({@link IndexedVectorSpill}), found through a
 * scratch table {@code embeddings.id → slot} in an attached SQLite file, so one transaction per delta
 * covers rows and slots and the heap does not grow with the records. A record taken over with a base
 * snapshot ({@link #seed}) has no slot: its vector is in its id's element of the base index.
 */
public final class IndexedSnapshotWriter implements SnapshotWriter {
  private static final String SCRATCH_DDL =
      "CREATE TABLE scratch.vectors (row INTEGER PRIMARY KEY, slot INTEGER NOT NULL)";

  private final Path snapshotDir;
  private final Path scratchDir;
  private final Path scratchDb;
  private final int threads;
  private Path base;
  /** The base folder is the compaction's own copy: its files may be moved, not copied. */
  private boolean baseDisposable;
  /** Opened by the first delta or the base, whichever comes first: a base taken over brings its own schema. */
  private Connection db;
  private MetadataRows rows;
  private PreparedStatement findRow;
  private PreparedStatement insertRow;
  private PreparedStatement lastRow;
  private PreparedStatement deleteRow;
  private PreparedStatement insertSlot;
  private PreparedStatement findSlot;
  private PreparedStatement updateSlot;
  private PreparedStatement deleteSlot;
  private final Map<CollectionKey, CollectionSlot> slots = new LinkedHashMap<>();
  private final Map<Integer, IndexedVectorSpill> spills = new HashMap<>();
  /** Per collection taken over from the base: its index, whose elements hold the base records' vectors. */
  private final Map<Integer, HnswSegmentWriter.BaseIndex> seededIndexes = new HashMap<>();
  /** Per collection taken over from the base: the elements whose record the merge replaced or deleted. */
  private final Map<Integer, BitSet> released = new HashMap<>();
  private IndexingListener indexing = IndexingListener.NONE;
  private boolean seeded;
  private boolean started;
  private boolean finished;

  private IndexedSnapshotWriter(Path snapshotDir, Path scratchDir, int threads) {
    this.snapshotDir = snapshotDir;
    this.scratchDir = scratchDir;
    this.scratchDb = scratchDir.resolve("indexed-ids.sqlite3");
    this.threads = threads;
  }

  /** Uses {@code connection} for everything from now on. */
  private void connect(Connection connection) throws SQLException {
    db = connection;
    rows = new MetadataRows(db);
    findRow = db.prepareStatement("SELECT id FROM embeddings WHERE segment_id = ? AND embedding_id = ?");
    insertRow = db.prepareStatement("INSERT INTO embeddings (segment_id, embedding_id, seq_id) VALUES (?, ?, 0)");
    lastRow = db.prepareStatement("SELECT last_insert_rowid()");
    deleteRow = db.prepareStatement("DELETE FROM embeddings WHERE id = ?");
    insertSlot = db.prepareStatement("INSERT INTO scratch.vectors (row, slot) VALUES (?, ?)");
    findSlot = db.prepareStatement("SELECT slot FROM scratch.vectors WHERE row = ?");
    updateSlot = db.prepareStatement("UPDATE scratch.vectors SET slot = ? WHERE row = ?");
    deleteSlot = db.prepareStatement("DELETE FROM scratch.vectors WHERE row = ?");
  }

  /**
   * A factory for {@link com.chromacompactor.merge.Compaction}: graphs built with {@code threads} threads.
   *
   * <p>Incremental runs: given a feed whose first folder is the previous snapshot ({@link
   * com.chromacompactor.merge.DeltaFeed#withBase}), the writer takes that snapshot over as it stands when
   * this writer wrote it ({@link #seed}), else merges it as a delta; either way each collection's index
   * extends the base's: a record whose vector is the one in the base index keeps its element, label and
   * links; the base elements of replaced and deleted ids are marked deleted (hnswlib's deleted flag: they
   * still route searches but are never returned); the rest is inserted into the loaded graph. {@code get()}
   * equals a full rebuild's. A collection whose base index does not fit (other M, dimension or
   * ef_construction), or where fewer than half of the base elements survive, is rebuilt from scratch.
   */
  public static SnapshotWriter.Factory factory(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1; threads=" + threads);
    }
    return (snapshotDir, scratchDir) -> create(snapshotDir, scratchDir, threads);
  }

  /** Uses every available processor for the graph builds. */
  public static IndexedSnapshotWriter create(Path snapshotDir, Path scratchDir) throws IOException {
    return create(snapshotDir, scratchDir, Runtime.getRuntime().availableProcessors());
  }

  public static IndexedSnapshotWriter create(Path snapshotDir, Path scratchDir, int threads) {
    return new IndexedSnapshotWriter(snapshotDir, scratchDir, threads);
  }

  /** Opens a new {@code chroma.sqlite3} with Chroma's schema, unless one is open already. */
  private void openNew() throws IOException {
    if (db != null) {
      return;
    }
    Path sqlite = snapshotDir.resolve(DeltaReader.SQLITE_FILE);
    Connection connection = MetadataSchema.openNew(sqlite, scratchDb, SCRATCH_DDL);
    try {
      connect(connection);
    } catch (SQLException e) {
      MetadataSchema.closeQuietly(connection);
      db = null;
      throw new IOException("creating snapshot " + sqlite + ": " + e.getMessage(), e);
    }
  }

  @Override
  public CollectionSlot collection(CollectionInfo first) {
    return slots.computeIfAbsent(first.key(), k -> {
      CollectionSlot slot = CollectionSlot.of(slots.size(), first);
      // an index build comes at the end; its kernels get compiled meanwhile
      KernelWarmUp.start(HnswSegmentWriter.metric(slot.hnsw().space()));
      return slot;
    });
  }

  /**
   * Takes a previous snapshot of this writer over as it stands, when {@link IndexedBase#seedable} allows:
   * its {@code chroma.sqlite3} is copied (rows, FTS and sysdb, all as they are), and each record's vector
   * stays where it is, in an element of the base index, until the index is extended. That is the
   * incremental run's saving: nothing of the base is parsed, rewritten or re-inserted. Otherwise the base
   * is remembered so that {@link #finish} can still extend its indexes. A {@code disposable} base gives
   * up its files: they are moved into the snapshot, not copied.
   */
  @Override
  public Optional<List<SeededCollection>> seed(Path previous, boolean disposable) throws IOException {
    checkOpen();
    if (started) {
      throw new IllegalStateException("a base snapshot comes before any delta");
    }
    started = true;
    base = previous;
    baseDisposable = disposable;
    Optional<List<IndexedBase.Collection>> plan = IndexedBase.seedable(previous);
    if (plan.isEmpty()) {
      return Optional.empty();
    }
    // Every record must have its element: a base whose rows and index disagree would lose records. The
    // count is checked here, and each record's element when the id map is written.
    for (IndexedBase.Collection c : plan.get()) {
      if (c.index() != null && c.index().records() != c.records()) {
        throw new CorruptDeltaException(previous, DeltaProblem.CORRUPT_HNSW, "collection " + c.info().key() + ": "
            + c.records() + " records but " + c.index().records() + " of them have a live element in the index "
            + c.index().folder());
      }
    }
    Path sqlite = snapshotDir.resolve(DeltaReader.SQLITE_FILE);
    if (disposable && LocalFiles.soleLink(previous.resolve(DeltaReader.SQLITE_FILE))) {
      Files.move(previous.resolve(DeltaReader.SQLITE_FILE), sqlite, StandardCopyOption.REPLACE_EXISTING);
    } else {
      Files.copy(previous.resolve(DeltaReader.SQLITE_FILE), sqlite, StandardCopyOption.REPLACE_EXISTING);
    }
    Connection connection = MetadataSchema.openCopy(sqlite, scratchDb, SCRATCH_DDL);
    try {
      connect(connection);
    } catch (SQLException e) {
      MetadataSchema.closeQuietly(connection);
      db = null;
      throw new IOException("taking over the base snapshot " + previous + ": " + e.getMessage(), e);
    }
    List<SeededCollection> out = new ArrayList<>();
    for (IndexedBase.Collection c : plan.get()) {
      CollectionSlot slot = collection(c.info());
      if (c.index() != null) {
        seededIndexes.put(slot.ordinal(), c.index());
        released.put(slot.ordinal(), new BitSet(c.index().count()));
      }
      out.add(new SeededCollection(c.info(), c.records()));
    }
    seeded = true;
    return Optional.of(out);
  }

  @Override
  public void begin(DeltaOrigin origin) throws IOException {
    checkOpen();
    started = true;
    openNew();
    rows.floatsAsStored(false);
  }

  @Override
  public void indexing(IndexingListener listener) {
    indexing = listener;
  }

  @Override
  public void metadataAsStored(boolean asStored) {
    rows.floatsAsStored(asStored);
  }

  @Override
  public void commit() throws IOException {
    if (db == null) {
      return;
    }
    try {
      db.commit();
    } catch (SQLException e) {
      throw new IOException("committing to the snapshot: " + e.getMessage(), e);
    }
    spills.values().forEach(IndexedVectorSpill::commit);
  }

  @Override
  public void rollback() throws IOException {
    if (db == null) {
      return;
    }
    try {
      db.rollback();
    } catch (SQLException e) {
      throw new IOException("rolling back the snapshot: " + e.getMessage(), e);
    }
    spills.values().forEach(IndexedVectorSpill::rollback);
  }

  /** The stored record, with {@code seqId} = its {@code embeddings.id}. */
  @Override
  public StoredRecord find(CollectionSlot slot, String id) throws IOException {
    checkOpen();
    try {
      findRow.setString(1, slot.metadataSegmentId());
      findRow.setString(2, id);
      long rowId;
      try (ResultSet rs = findRow.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        rowId = rs.getLong(1);
      }
      return new StoredRecord(slot, rowId, rows.read(id, rowId));
    } catch (SQLException e) {
      throw new IOException("reading the snapshot: " + e.getMessage(), e);
    }
  }

  @Override
  public void insert(CollectionSlot slot, EmbeddingRecord r) throws IOException {
    checkOpen();
    IndexedVectorSpill spill = spill(slot, r.dimension());
    try {
      insertRow.setString(1, slot.metadataSegmentId());
      insertRow.setString(2, r.id());
      insertRow.executeUpdate();
      long rowId;
      try (ResultSet rs = lastRow.executeQuery()) {
        rs.next();
        rowId = rs.getLong(1);
      }
      rows.write(rowId, r, null);
      insertSlot.setLong(1, rowId);
      insertSlot.setLong(2, spill.append(r.embedding()));
      insertSlot.executeUpdate();
    } catch (SQLException e) {
      throw new IOException("writing record '" + r.id() + "' of " + slot.key() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void replace(StoredRecord stored, EmbeddingRecord r) throws IOException {
    checkOpen();
    CollectionSlot slot = stored.slot();
    IndexedVectorSpill spill = spill(slot, r.dimension());
    long rowId = stored.seqId();
    try {
      rows.delete(rowId);
      rows.write(rowId, r, stored.record().metadata());
      findSlot.setLong(1, rowId);
      Long old = null;
      try (ResultSet rs = findSlot.executeQuery()) {
        if (rs.next()) {
          old = rs.getLong(1);
        }
      }
      if (old == null) {
        release(slot, r.id()); // held by the base until now; the vector may have changed
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
      throw new IOException("rewriting record '" + r.id() + "' of " + slot.key() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void delete(StoredRecord stored) throws IOException {
    checkOpen();
    long rowId = stored.seqId();
    try {
      rows.delete(rowId);
      deleteRow.setLong(1, rowId);
      deleteRow.executeUpdate();
      deleteSlot.setLong(1, rowId);
      if (deleteSlot.executeUpdate() == 0) {
        release(stored.slot(), stored.record().id());
      }
    } catch (SQLException e) {
      throw new IOException("deleting record '" + stored.record().id() + "': " + e.getMessage(), e);
    }
  }

  /** The base element of a record taken over with the base no longer holds it. */
  private void release(CollectionSlot slot, String id) throws IOException {
    released.get(slot.ordinal()).set(seededIndexes.get(slot.ordinal()).requireNode(id, slot.key()));
  }

  private IndexedVectorSpill spill(CollectionSlot slot, int dimension) throws IOException {
    IndexedVectorSpill s = spills.get(slot.ordinal());
    if (s == null) {
      s = new IndexedVectorSpill(scratchDir.resolve("vectors-" + slot.ordinal() + ".f32"), dimension);
      spills.put(slot.ordinal(), s);
    } else if (s.dimension() != dimension) {
      throw new IOException("record of dimension " + dimension + " in " + slot.key() + " of dimension "
          + s.dimension());
    }
    return s;
  }

  /**
   * Writes the sysdb rows, builds each collection's index from its live records, and returns the
   * number of live records per collection.
   */
  @Override
  public Map<CollectionKey, Long> finish(List<CollectionDefinition> collections) throws IOException {
    checkOpen();
    finished = true;
    openNew(); // no base and no delta: an empty snapshot
    try {
      if (seeded) {
        MetadataSchema.clearCollections(db); // the base's rows, written anew from the merged definitions
      }
      MetadataSchema.writeCollections(db, collections);
      Map<CollectionKey, Long> counts = new LinkedHashMap<>();
      for (CollectionDefinition c : collections) {
        long live = countRows(c.slot());
        counts.put(c.slot().key(), live);
        if (live > 0) {
          writeIndex(c, live);
        }
      }
      db.commit();
      db.setAutoCommit(true);
      try (Statement st = db.createStatement()) {
        st.execute("DETACH DATABASE scratch");
        st.execute("PRAGMA journal_mode=DELETE");
      }
      Files.deleteIfExists(scratchDb);
      return counts;
    } catch (SQLException e) {
      throw new IOException("finishing the snapshot: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while building an index", e);
    }
  }

  private void writeIndex(CollectionDefinition c, long live) throws SQLException, IOException, InterruptedException {
    CollectionSlot slot = c.slot();
    IndexedVectorSpill spill = spills.get(slot.ordinal());
    int dimension = c.dimension() != null ? c.dimension() : spill.dimension();
    HnswSegmentWriter.BaseIndex previous = seededIndexes.get(slot.ordinal());
    if (previous == null && base != null) {
      previous = IndexedBase.find(base, slot, dimension);
    }
    HnswBuilder.Progress progress = (done, total) -> indexing.indexed(slot.key().toString(), done, total);
    if (previous != null && new IndexedExtension(db, snapshotDir, (at, into) -> spills.get(slot.ordinal()).read(at, into),
        previous, baseDisposable, released.get(slot.ordinal()), threads, progress).write(c, live, dimension)) {
      return;
    }
    writeFullIndex(c, live, dimension, progress);
  }

  /** The vector of record {@code id}: at {@code at} in the spill, or, if null, in its element of the base. */
  private void readVector(CollectionSlot slot, String id, Long at, float[] into) throws IOException {
    if (at != null) {
      spills.get(slot.ordinal()).read(at, into);
      return;
    }
    HnswSegmentWriter.BaseIndex index = seededIndexes.get(slot.ordinal());
    index.reader().vectorInto(index.requireNode(id, slot.key()), into);
  }

  private void writeFullIndex(CollectionDefinition c, long live, int dimension, HnswBuilder.Progress progress)
      throws SQLException, IOException, InterruptedException {
    CollectionSlot slot = c.slot();
    HnswConfig config = slot.hnsw();
    Path folder = snapshotDir.resolve(slot.vectorSegmentId());
    try (HnswSegmentWriter index = HnswSegmentWriter.create(folder, config, dimension, live);
        PreparedStatement ps = db.prepareStatement("SELECT e.embedding_id, v.slot FROM embeddings e"
            + " LEFT JOIN scratch.vectors v ON v.row = e.id WHERE e.segment_id = ? ORDER BY e.id")) {
      ps.setString(1, slot.metadataSegmentId());
      float[] vector = new float[dimension];
      int node = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long at = rs.getLong(2);
          Long spilled = rs.wasNull() ? null : at; // asked before any other column is read
          readVector(slot, rs.getString(1), spilled, vector);
          index.setElement(node, node + 1L, vector); // labels 1..N, as Chroma assigns them
          node++;
        }
      }
      if (node != live) {
        throw new IOException(slot.key() + ": " + live + " records but " + node + " vectors");
      }
      new HnswBuilder(index.graph()).build(node, threads, progress);
      index.finish();
      IdLabelPickleWriter.write(folder.resolve(com.chromacompactor.chroma.hnsw.HnswSegmentFormat.PICKLE), live,
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

  private long countRows(CollectionSlot slot) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement("SELECT count(*) FROM embeddings WHERE segment_id = ?")) {
      ps.setString(1, slot.metadataSegmentId());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private void checkOpen() {
    if (finished) {
      throw new IllegalStateException("snapshot already finished");
    }
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (IndexedVectorSpill s : spills.values()) {
      try {
        s.close();
      } catch (IOException e) {
        failure = failure == null ? e : failure;
      }
    }
    try {
      if (db != null) {
        db.close();
      }
    } catch (SQLException e) {
      failure = failure == null ? new IOException("closing the snapshot: " + e.getMessage(), e) : failure;
    } finally {
      Files.deleteIfExists(scratchDb);
    }
    if (failure != null) {
      throw failure;
    }
  }
}
