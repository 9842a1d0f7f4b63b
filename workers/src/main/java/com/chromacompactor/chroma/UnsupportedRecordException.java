package com.chromacompactor.chroma;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A record that the release line a snapshot is written for cannot hold, such as array metadata for
 * a target below 1.5. The delta is not at fault (a 1.5 reader would take it), so this is not a
 * {@link CorruptDeltaException} that quarantines it: the compaction fails, naming the record and
 * the target, before anything is published. Not transient: a retry meets the same record.
 */
public final class UnsupportedRecordException extends IOException {
  private final ChromaTarget target;

  public UnsupportedRecordException(ChromaTarget target, String detail) {
    super(
        detail
            + ", which chromadb "
            + target.readers()
            + " cannot hold (--chroma-version "
            + target.version()
            + "); only a snapshot for 1.5 readers can");
    this.target = target;
  }

  public ChromaTarget target() {
    return target;
  }

  /** Refuses {@code record} of {@code collection} if {@code target} cannot hold it. */
  public static void check(ChromaTarget target, CollectionKey collection, EmbeddingRecord record)
      throws UnsupportedRecordException {
    if (target.format().holdsArrays()) {
      return;
    }
    for (Map.Entry<String, Object> e : record.metadata().entrySet()) {
      if (e.getValue() instanceof List<?>) {
        throw new UnsupportedRecordException(
            target,
            "collection "
                + collection
                + ": record '"
                + record.id()
                + "' has array metadata '"
                + e.getKey()
                + "'");
      }
    }
  }
}
