package com.chromacompactor.chroma;

import java.io.Closeable;
import java.io.IOException;

/**
 * A pull cursor over records, one at a time: {@link #advance()} moves to the next record and
 * returns false at the end; {@link #record()} reads the current one. Nothing is buffered beyond the
 * current record. After {@link #close()} (which may be called twice) the cursor must not be used.
 */
public interface RecordCursor extends Closeable {
  boolean advance() throws IOException;

  /** The current record; valid until the next {@link #advance()}. */
  EmbeddingRecord record();

  @Override
  void close();

  static RecordCursor empty() {
    return new RecordCursor() {
      @Override
      public boolean advance() {
        return false;
      }

      @Override
      public EmbeddingRecord record() {
        throw new IllegalStateException("empty cursor has no record");
      }

      @Override
      public void close() {}
    };
  }
}
