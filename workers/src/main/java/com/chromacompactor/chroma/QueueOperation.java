package com.chromacompactor.chroma;

/** The {@code embeddings_queue.operation} codes, mapped explicitly (never by ordinal). */
public enum QueueOperation {
  ADD(0),
  UPDATE(1),
  UPSERT(2),
  DELETE(3),
  /** Written by Chroma for embedding-function backfills; local segments ignore it. */
  BACKFILL(4);

  private final int code;

  QueueOperation(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** Returns null for a code Chroma does not define (Chroma itself would panic on it). */
  public static QueueOperation fromCode(int code) {
    switch (code) {
      case 0:
        return ADD;
      case 1:
        return UPDATE;
      case 2:
        return UPSERT;
      case 3:
        return DELETE;
      case 4:
        return BACKFILL;
      default:
        return null;
    }
  }
}
