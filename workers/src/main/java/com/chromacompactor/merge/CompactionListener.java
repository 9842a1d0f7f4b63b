package com.chromacompactor.merge;

import com.chromacompactor.snapshot.IndexingListener;
import java.nio.file.Path;

/**
 * Progress of a compaction: {@link #deltaMerged} on the compacting thread after each delta, then
 * {@link #indexed} while the snapshot's indexes are built.
 */
@FunctionalInterface
public interface CompactionListener extends IndexingListener {
  CompactionListener NONE = (done, total, delta, recordsRead) -> {};

  void deltaMerged(int done, int total, Path delta, long recordsRead);

  @Override
  default void indexed(String collection, long done, long total) {}
}
