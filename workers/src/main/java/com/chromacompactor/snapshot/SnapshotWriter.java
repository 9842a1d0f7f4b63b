package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.CollectionKey;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.EmbeddingRecord;
import com.chromacompactor.chroma.SqliteCheck;
import com.chromacompactor.chroma.hnsw.HnswSegmentWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the merge puts records: a snapshot under construction that is also the merge's spill, so
 * that an upsert of a known id can find and rewrite it. Implementations differ in what they leave
 * for Chroma: {@link QueueSnapshotWriter} leaves the queue for Chroma to index on first open.
 *
 * <p>Lifecycle: {@link #seed(Path, boolean)} once if the compaction starts from a previous
 * snapshot, then per delta {@link #begin(DeltaOrigin)} … {@link #commit()} or {@link #rollback()}
 * (a rolled-back delta leaves no trace), then {@link #finish(List)} once, then {@link #close()}.
 */
public interface SnapshotWriter extends Closeable {

  /** Creates a writer in an empty snapshot folder, with a private folder for working files. */
  @FunctionalInterface
  interface Factory {
    SnapshotWriter create(Path snapshotDir, Path scratchDir) throws IOException;
  }

  /**
   * Offered the previous snapshot before any delta. A writer that can start from its state as it
   * stands (a copy of its files rather than a merge of its records) does so and returns its
   * collections with their record counts; otherwise it returns empty, and the compaction merges the
   * base as its first delta (a writer may still use the base, e.g. to extend its index). With
   * {@code MOVE}, the base folder is the compaction's own copy, deleted once the snapshot is
   * finished: a writer may move its files rather than copy them. {@code check} is what the base's
   * SQLite file still needs before it is read.
   */
  default Optional<List<SeededCollection>> seed(
      Path base, HnswSegmentWriter.BaseFiles files, SqliteCheck check) throws IOException {
    return Optional.empty();
  }

  /** Where a writer that builds indexes reports their progress. */
  default void indexing(IndexingListener listener) {}

  /**
   * The snapshot's collection for a delta's collection, created on first use from its description.
   */
  CollectionSlot collection(CollectionInfo first);

  /**
   * Starts one delta. Its origin tells how its values were read: a producer's delta as Chroma's
   * get() returns it (Chroma would parse its floats once more on upsert), a compactor output as
   * already stored.
   */
  void begin(DeltaOrigin origin) throws IOException;

  /**
   * Whether the current delta's float metadata is already what Chroma stores (a compactor output
   * with no queue: its metadata segment went through Chroma's parse, or our emulation of it),
   * rather than a value Chroma would still parse once (a producer's {@code get()} values, or a
   * queue-route output's queue text). Only a writer that stores floats itself, not as queue text,
   * cares.
   */
  default void metadataAsStored(boolean asStored) {}

  void commit() throws IOException;

  void rollback() throws IOException;

  /**
   * The stored record with this id (document, uri, metadata; the vector is not read back), or null.
   */
  StoredRecord find(CollectionSlot slot, String id) throws IOException;

  void insert(CollectionSlot slot, EmbeddingRecord record) throws IOException;

  /** Overwrites a stored record with its merged successor. */
  void replace(StoredRecord stored, EmbeddingRecord record) throws IOException;

  void delete(StoredRecord stored) throws IOException;

  /**
   * Writes the collections' sysdb rows and whatever else completes the snapshot; returns the number
   * of live records per collection, which the caller checks against its own count.
   */
  Map<CollectionKey, Long> finish(List<CollectionDefinition> collections) throws IOException;
}
