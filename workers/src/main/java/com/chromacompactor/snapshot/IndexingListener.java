package com.chromacompactor.snapshot;

/** Progress of the index builds that end a snapshot, which take minutes at a million vectors. */
@FunctionalInterface
public interface IndexingListener {
  IndexingListener NONE = (collection, done, total) -> {};

  /** {@code done} of the {@code total} vectors a collection's build inserts are in; any thread. */
  void indexed(String collection, long done, long total);
}
