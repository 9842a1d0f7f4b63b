package com.chromacompactor.chroma.hnsw;

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

  /**
   * Reads and checks {@code file}; a missing file is a {@link java.nio.file.NoSuchFileException}.
   */
  public static HnswHeader read(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(HnswSegmentFormat.HEADER_BYTES);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      while (b.hasRemaining() && ch.read(b) >= 0) {
        // until full or at the end of the file
      }
    }
    b.flip();
    return parse(b, CorruptIndexException.resource(file));
  }

  /** Parses and checks the header bytes of {@code resource} (the file, as messages name it). */
  public static HnswHeader parse(ByteBuffer bytes, String resource) throws CorruptIndexException {
    ByteBuffer b = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
    if (b.remaining() < HnswSegmentFormat.HEADER_BYTES) {
      throw new CorruptIndexException(
          resource,
          "truncated: expected "
              + HnswSegmentFormat.HEADER_BYTES
              + " bytes, found "
              + b.remaining());
    }
    int version = b.getInt(0);
    if (version != HnswSegmentFormat.PERSISTENCE_VERSION) {
      throw new CorruptIndexException(
          resource,
          "PERSISTENCE_VERSION expected "
              + HnswSegmentFormat.PERSISTENCE_VERSION
              + ", found "
              + version);
    }
    HnswHeader h =
        new HnswHeader(
            b.getLong(12),
            b.getLong(20),
            b.getLong(28),
            b.getLong(36),
            b.getLong(44),
            b.getInt(52),
            b.getInt(56),
            b.getLong(60),
            b.getLong(68),
            b.getLong(76),
            b.getDouble(84),
            b.getLong(92));
    check(resource, "offsetLevel0", 0, b.getLong(4));
    if (h.maxM < 1 || h.maxM0 < 1 || h.maxM > Integer.MAX_VALUE || h.maxM0 > Integer.MAX_VALUE) {
      throw new CorruptIndexException(
          resource, "maxM " + h.maxM + " and maxM0 " + h.maxM0 + " are not neighbour counts");
    }
    check(resource, "offsetData", HnswSegmentFormat.offsetData(h.maxM0), h.offsetData);
    if (h.labelOffset <= h.offsetData || (h.labelOffset - h.offsetData) % Float.BYTES != 0) {
      throw new CorruptIndexException(
          resource,
          "label_offset "
              + h.labelOffset
              + " does not follow offsetData "
              + h.offsetData
              + " by whole floats");
    }
    check(
        resource,
        "size_data_per_element",
        HnswSegmentFormat.elementSize(h.maxM0, h.dimension()),
        h.sizeDataPerElement);
    if (h.elementCount < 0 || h.elementCount > h.maxElements) {
      throw new CorruptIndexException(
          resource, "cur_element_count " + h.elementCount + " outside 0.." + h.maxElements);
    }
    if (h.elementCount > 0 && (h.entryPoint < 0 || h.entryPoint >= h.elementCount)) {
      throw new CorruptIndexException(
          resource,
          "enterpoint_node "
              + Integer.toUnsignedString(h.entryPoint)
              + " outside 0.."
              + (h.elementCount - 1));
    }
    return h;
  }

  private static void check(String resource, String field, long expected, long found)
      throws CorruptIndexException {
    if (expected != found) {
      throw new CorruptIndexException(
          resource, field + " expected " + expected + ", found " + found);
    }
  }
}
