package com.chromacompactor.chroma.hnsw;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads vectors, labels and deleted marks from {@code data_level0.bin} and the cosine norms from
 * {@code length.bin}, memory-mapped so that a folder's vectors never sit on the heap. The sizes
 * that follow from the header are checked before anything is mapped. {@code data_level0.bin} is
 * mapped in chunks of whole elements, each under the 2 GiB one mapping may span (a million 1536-d
 * elements are 5.7 GB).
 */
public final class HnswSegmentReader {
  private final HnswHeader header;
  private final VectorForm form;

  /** Chunk c holds elements c * perChunk up to (c + 1) * perChunk - 1; no element straddles two. */
  private final MappedByteBuffer[] data;

  private final int perChunk;
  private final MappedByteBuffer norms;

  private HnswSegmentReader(
      HnswHeader header,
      VectorForm form,
      MappedByteBuffer[] data,
      int perChunk,
      MappedByteBuffer norms) {
    this.header = header;
    this.form = form;
    this.data = data;
    this.perChunk = perChunk;
    this.norms = norms;
  }

  /**
   * Opens the index files of {@code folder}; a missing file is a {@link
   * java.nio.file.NoSuchFileException}, a file shorter than its header says a {@link
   * CorruptIndexException}.
   */
  public static HnswSegmentReader open(Path folder, VectorForm form) throws IOException {
    return open(folder, form, Integer.MAX_VALUE);
  }

  /**
   * As {@link #open(Path, VectorForm)}, with chunks of {@code data_level0.bin} of at most {@code
   * chunkBytes}.
   */
  static HnswSegmentReader open(Path folder, VectorForm form, long chunkBytes) throws IOException {
    HnswHeader header = HnswHeader.read(folder.resolve(HnswSegmentFormat.HEADER));
    long count = header.elementCount();
    long element = header.sizeDataPerElement();
    Path level0 = folder.resolve(HnswSegmentFormat.DATA_LEVEL0);
    if (element < 1 || element > chunkBytes) {
      throw new CorruptIndexException(
          CorruptIndexException.resource(level0),
          "size_data_per_element " + element + " is not a size one mapping can hold");
    }
    int perChunk = (int) Math.min(chunkBytes / element, Math.max(count, 1));
    MappedByteBuffer[] data;
    try (FileChannel ch =
        open(
            level0,
            Math.multiplyExact(count, element),
            "cur_element_count " + count + " x size_data_per_element " + element)) {
      data = new MappedByteBuffer[(int) ((count + perChunk - 1) / perChunk)];
      for (int c = 0; c < data.length; c++) {
        long first = (long) c * perChunk;
        data[c] = map(ch, first * element, Math.min(perChunk, count - first) * element);
      }
    }
    MappedByteBuffer norms = null;
    if (form == VectorForm.NORMALIZED) {
      Path length = folder.resolve(HnswSegmentFormat.LENGTH);
      long needed = Math.multiplyExact(count, Float.BYTES);
      if (needed > Integer.MAX_VALUE) {
        throw new CorruptIndexException(
            CorruptIndexException.resource(length),
            needed + " bytes of norms is larger than one mapping may be (2 GiB)");
      }
      try (FileChannel ch = open(length, needed, "cur_element_count " + count + " x 4")) {
        norms = map(ch, 0, needed);
      }
    }
    return new HnswSegmentReader(header, form, data, perChunk, norms);
  }

  /** The file, checked to hold at least {@code needed} bytes. */
  private static FileChannel open(Path file, long needed, String why) throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    long size = ch.size();
    if (size < needed) {
      ch.close();
      throw new CorruptIndexException(
          CorruptIndexException.resource(file),
          "truncated: expected at least " + needed + " bytes (" + why + "), found " + size);
    }
    return ch;
  }

  private static MappedByteBuffer map(FileChannel ch, long position, long bytes)
      throws IOException {
    MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, position, bytes);
    buf.order(ByteOrder.LITTLE_ENDIAN);
    return buf;
  }

  public HnswHeader header() {
    return header;
  }

  public int elementCount() {
    return (int) header.elementCount();
  }

  public boolean isDeleted(int internalId) {
    return (chunk(internalId).get(base(internalId) + 2) & HnswSegmentFormat.DELETED_FLAG) != 0;
  }

  public long label(int internalId) {
    return chunk(internalId).getLong(base(internalId) + (int) header.labelOffset());
  }

  /** The elements not marked deleted. */
  public long liveElements() {
    long live = 0;
    for (int i = 0; i < elementCount(); i++) {
      if (!isDeleted(i)) {
        live++;
      }
    }
    return live;
  }

  /**
   * Copies the vector as Chroma's {@code get()} returns it: a normalised vector is multiplied back
   * by its norm in float32, as hnswlib's getDataByLabel does.
   */
  public void vectorInto(int internalId, float[] dst) {
    MappedByteBuffer data = chunk(internalId);
    int off = base(internalId) + (int) header.offsetData();
    float norm = form == VectorForm.NORMALIZED ? norms.getFloat(internalId * Float.BYTES) : 1f;
    for (int j = 0; j < dst.length; j++) {
      float v = data.getFloat(off + j * Float.BYTES);
      dst[j] = form == VectorForm.NORMALIZED ? v * norm : v;
    }
  }

  private MappedByteBuffer chunk(int internalId) {
    return data[internalId / perChunk];
  }

  /** The element's offset in its chunk. */
  private int base(int internalId) {
    return (int) ((internalId % perChunk) * header.sizeDataPerElement());
  }
}
