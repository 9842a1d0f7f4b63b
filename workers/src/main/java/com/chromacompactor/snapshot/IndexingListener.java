package com.chromacompactor.snapshot;

import org.slf4j.LoggerFactory;

/**
 * Progress of the index builds that end a snapshot, which take minutes at a million vectors, and
 * notices about how it is built.
 */
@FunctionalInterface
public interface IndexingListener {
  IndexingListener NONE = (collection, done, total) -> {};

  /** {@code done} of the {@code total} vectors a collection's build inserts are in; any thread. */
  void indexed(String collection, long done, long total);

  /**
   * Something the user should know about how the snapshot is built, such as a base snapshot that is
   * rebuilt rather than extended, and why. Logged unless the listener shows it itself (the CLI
   * does).
   */
  default void notice(String message) {
    LoggerFactory.getLogger(IndexingListener.class).info(message);
  }
}
