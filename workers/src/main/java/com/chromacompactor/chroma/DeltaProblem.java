package com.chromacompactor.chroma;

/**
 * Why a delta was refused. The names are stable: they appear in error messages, in quarantine
 * reasons and in workflow error causes, so callers can match on them.
 */
public enum DeltaProblem {
  /**
   * The folder has no {@code chroma.sqlite3} (and no tombstone file), or the file is not SQLite.
   */
  NOT_CHROMA,
  /** The {@code migrations} rows are not the set this compactor knows (newer, older or altered). */
  UNSUPPORTED_VERSION,
  /** SQLite reports corruption, or a table Chroma always has is missing or malformed. */
  CORRUPT_SQLITE,
  /** The sqlite says vectors were flushed to HNSW files, but the files are absent. */
  MISSING_HNSW,
  /** HNSW files are present but truncated or inconsistent with their header. */
  CORRUPT_HNSW,
  /** A vector whose length is not the collection's dimension. */
  WRONG_DIMENSION,
  /** A vector holding NaN or an infinity. */
  NON_FINITE_VECTOR,
  /** A queue row that Chroma itself could not apply. */
  CORRUPT_QUEUE,
  /** {@code tombstones.json} does not parse or does not follow its format. */
  BAD_TOMBSTONES,
  /** A collection whose dimension or space disagrees with an earlier delta's. */
  CONFLICTING_COLLECTION,
  /**
   * {@code _delta.json}, the producer's commit marker, does not parse or does not follow its
   * format.
   */
  BAD_MARKER,
  /**
   * The delta stayed incomplete past the incomplete-upload limit: files its marker lists are
   * missing or differ from it, or an unmarked delta kept changing. Until then such a delta is
   * waiting, not bad.
   */
  INCOMPLETE_UPLOAD
}
