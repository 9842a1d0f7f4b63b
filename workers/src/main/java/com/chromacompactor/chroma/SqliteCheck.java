package com.chromacompactor.chroma;

/** What {@link DeltaReader} checks of a {@code chroma.sqlite3} before it reads any table. */
public enum SqliteCheck {
  /** {@code PRAGMA quick_check}: every page read and its structure checked. */
  QUICK_CHECK,
  /**
   * Nothing more: the file was just matched byte for byte against the SHA-256 that a compactor
   * output's manifest recorded after the output was checked. A second check would only repeat that
   * one, and it is the costliest step of an incremental run on a large base (17 s for the 1.5 GB
   * file of a million records).
   */
  DIGEST_VERIFIED,
  /**
   * Not at open: the caller runs {@link DeltaReader#quickCheck(Path)} on another thread and waits
   * for it before anything it writes from the file is published (a base given to {@code compact
   * --base}, whose check then overlaps the copy and the index build).
   */
  CHECKED_ALONGSIDE
}
