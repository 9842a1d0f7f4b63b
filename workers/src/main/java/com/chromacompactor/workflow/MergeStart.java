package com.chromacompactor.workflow;

/** What a merge of bucket folders starts from, which decides how its first input is taken. */
enum MergeStart {
  /** Nothing: every input is a delta (or an intermediate), merged in order. A chunk's merge. */
  EMPTY,
  /**
   * The published snapshot, which is then the first input: taken over as it stands where the writer
   * can (its index extended), never skipped as a bad delta would be, and kept until the merge ends.
   * FinalMerge on a published base.
   */
  PUBLISHED_SNAPSHOT
}
