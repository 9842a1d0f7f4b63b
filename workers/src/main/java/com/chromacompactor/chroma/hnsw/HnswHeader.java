package com.chromacompactor.chroma.hnsw;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code header.bin}: 100 little-endian bytes, laid out in {@link HnswSegmentFormat}. The file has
 * no magic number, so every field that follows from the others is checked before any data is read.
 */
public record HnswHeader(
    long maxElements,
    long elementCount,
    long sizeDataPerElement,
    long labelOffset,
    long offsetData,
    int maxLevel,
    int entryPoint,
    long maxM,
    long maxM0,
    long m,
    double mult,
    long efConstruction) {

  public int dimension() {
    return (int) ((labelOffset - offsetData) / Float.BYTES);
  }

  static HnswHeader read(Path delta, Path file) throws CorruptDeltaException {
    ByteBuffer b = ByteBuffer.allocate(HnswSegmentFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      while (b.hasRemaining()) {
        if (ch.read(b) < 0) {
          throw corrupt(delta, file, "truncated: expected " + HnswSegmentFormat.HEADER_BYTES
              + " bytes, found " + b.position());
        }
      }
    } catch (CorruptDeltaException e) {
      throw e;
    } catch (IOException e) {
      throw new CorruptDeltaException(delta, DeltaProblem.MISSING_HNSW, file + ": " + e, e);
    }
    int version = b.getInt(0);
    if (version != HnswSegmentFormat.PERSISTENCE_VERSION) {
      throw corrupt(delta, file, "PERSISTENCE_VERSION expected " + HnswSegmentFormat.PERSISTENCE_VERSION
          + ", found " + version);
    }
    long offsetLevel0 = b.getLong(4);
    HnswHeader h = new HnswHeader(
        b.getLong(12), b.getLong(20), b.getLong(28), b.getLong(36), b.getLong(44),
        b.getInt(52), b.getInt(56), b.getLong(60), b.getLong(68), b.getLong(76),
        b.getDouble(84), b.getLong(92));
    check(delta, file, "offsetLevel0", 0, offsetLevel0);
    check(delta, file, "offsetData", 4 + 4 * h.maxM0, h.offsetData);
    if (h.labelOffset <= h.offsetData || (h.labelOffset - h.offsetData) % Float.BYTES != 0) {
      throw corrupt(delta, file, "label_offset " + h.labelOffset + " does not follow offsetData "
          + h.offsetData + " by whole floats");
    }
    check(delta, file, "size_data_per_element", h.labelOffset + Long.BYTES, h.sizeDataPerElement);
    if (h.elementCount < 0 || h.elementCount > h.maxElements) {
      throw corrupt(delta, file, "cur_element_count " + h.elementCount + " outside 0.." + h.maxElements);
    }
    if (h.elementCount > 0 && (h.entryPoint < 0 || h.entryPoint >= h.elementCount)) {
      throw corrupt(delta, file, "enterpoint_node " + Integer.toUnsignedString(h.entryPoint)
          + " outside 0.." + (h.elementCount - 1));
    }
    return h;
  }

  private static void check(Path delta, Path file, String field, long expected, long found)
      throws CorruptDeltaException {
    if (expected != found) {
      throw corrupt(delta, file, field + " expected " + expected + ", found " + found);
    }
  }

  private static CorruptDeltaException corrupt(Path delta, Path file, String detail) {
    return new CorruptDeltaException(delta, DeltaProblem.CORRUPT_HNSW, file.getFileName() + ": " + detail);
  }
}
