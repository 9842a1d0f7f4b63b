package com.chromacompactor.snapshot;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One collection's vectors during the merge, in a scratch file off the heap: slot {@code s} holds
 * {@code dimension} little-endian floats at {@code s · 4 · dimension}. Inserts append. A replace
 * overwrites its slot only if that slot was written by the open delta; otherwise it appends, so
 * that a rolled-back delta leaves every committed vector intact ({@link #rollback} forgets the
 * slots appended since the last commit; SQLite rolls back the id-to-slot rows).
 */
final class IndexedVectorSpill implements Closeable {
  private final FileChannel file;
  private final int dimension;
  private final ByteBuffer buffer;
  private long slots;
  private long committed;

  IndexedVectorSpill(Path path, int dimension) throws IOException {
    this.file =
        FileChannel.open(
            path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    this.dimension = dimension;
    this.buffer = ByteBuffer.allocateDirect(dimension * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
  }

  int dimension() {
    return dimension;
  }

  long append(float[] v) throws IOException {
    long slot = slots++;
    write(slot, v);
    return slot;
  }

  /**
   * Writes {@code v} for a record now in {@code slot}; returns the slot that holds it afterwards.
   */
  long replace(long slot, float[] v) throws IOException {
    if (slot >= committed) {
      write(slot, v);
      return slot;
    }
    return append(v);
  }

  private void write(long slot, float[] v) throws IOException {
    if (v.length != dimension) {
      throw new IllegalArgumentException(
          "vector of dimension " + v.length + ", the collection's is " + dimension);
    }
    buffer.clear();
    buffer.asFloatBuffer().put(v);
    long pos = slot * buffer.capacity();
    while (buffer.hasRemaining()) {
      pos += file.write(buffer, pos);
    }
  }

  void read(long slot, float[] dst) throws IOException {
    buffer.clear();
    long pos = slot * buffer.capacity();
    while (buffer.hasRemaining()) {
      int n = file.read(buffer, pos);
      if (n < 0) {
        throw new IOException("vector spill truncated at slot " + slot);
      }
      pos += n;
    }
    buffer.flip();
    buffer.asFloatBuffer().get(dst);
  }

  void commit() {
    committed = slots;
  }

  void rollback() {
    slots = committed;
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
