package com.chromacompactor.merge;

import java.nio.file.Path;

/** Progress of a compaction, called on the compacting thread after each delta. */
@FunctionalInterface
public interface CompactionListener {
  CompactionListener NONE = (done, total, delta, recordsRead) -> {};

  void deltaMerged(int done, int total, Path delta, long recordsRead);
}
