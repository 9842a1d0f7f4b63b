package com.chromacompactor.chroma.hnsw;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads vectors, labels and deleted marks from {@code data_level0.bin} and the cosine norms from
 * {@code length.bin}, memory-mapped so that a folder's vectors never sit on the heap. The sizes that
 * follow from the header are checked before anything is mapped.
 */
public final class HnswSegmentReader {
  private final HnswHeader header;
  private final VectorForm form;
  private final MappedByteBuffer data;
  private final MappedByteBuffer norms;

  private HnswSegmentReader(HnswHeader header, VectorForm form, MappedByteBuffer data, MappedByteBuffer norms) {
    this.header = header;
    this.form = form;
    this.data = data;
    this.norms = norms;
  }

  /**
   * Opens the index files of {@code folder}; a missing file is a {@link java.nio.file.NoSuchFileException},
   * a file shorter than its header says a {@link CorruptIndexException}.
   */
  public static HnswSegmentReader open(Path folder, VectorForm form) throws IOException {
    HnswHeader header = HnswHeader.read(folder.resolve(HnswSegmentFormat.HEADER));
    long count = header.elementCount();
    MappedByteBuffer data = map(folder.resolve(HnswSegmentFormat.DATA_LEVEL0),
        Math.multiplyExact(count, header.sizeDataPerElement()), "cur_element_count " + count
            + " x size_data_per_element " + header.sizeDataPerElement());
    MappedByteBuffer norms = form == VectorForm.NORMALIZED
        ? map(folder.resolve(HnswSegmentFormat.LENGTH), Math.multiplyExact(count, Float.BYTES),
            "cur_element_count " + count + " x 4")
        : null;
    return new HnswSegmentReader(header, form, data, norms);
  }

  private static MappedByteBuffer map(Path file, long needed, String why) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < needed) {
        throw new CorruptIndexException(CorruptIndexException.resource(file), "truncated: expected at least "
            + needed + " bytes (" + why + "), found " + size);
      }
      if (needed > Integer.MAX_VALUE) {
        throw new CorruptIndexException(CorruptIndexException.resource(file), needed
            + " bytes is larger than one mapping may be (2 GiB)");
      }
      MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, needed);
      buf.order(ByteOrder.LITTLE_ENDIAN);
      return buf;
    }
  }

  public HnswHeader header() {
    return header;
  }

  public int elementCount() {
    return (int) header.elementCount();
  }

  public boolean isDeleted(int internalId) {
    return (data.get(base(internalId) + 2) & HnswSegmentFormat.DELETED_FLAG) != 0;
  }

  public long label(int internalId) {
    return data.getLong(base(internalId) + (int) header.labelOffset());
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
   * Copies the vector as Chroma's {@code get()} returns it: a normalised vector is multiplied back by
   * its norm in float32, as hnswlib's getDataByLabel does.
   */
  public void vectorInto(int internalId, float[] dst) {
    int off = base(internalId) + (int) header.offsetData();
    float norm = form == VectorForm.NORMALIZED ? norms.getFloat(internalId * Float.BYTES) : 1f;
    for (int j = 0; j < dst.length; j++) {
      float v = data.getFloat(off + j * Float.BYTES);
      dst[j] = form == VectorForm.NORMALIZED ? v * norm : v;
    }
  }

  private int base(int internalId) {
    return (int) (internalId * header.sizeDataPerElement());
  }
}
