package com.chromacompactor.chroma.hnsw;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.chroma.Space;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads vectors, labels and deleted marks from {@code data_level0.bin} and the cosine norms from
 * {@code length.bin}, memory-mapped so that a delta's vectors never sit on the heap.
 */
public final class HnswSegmentReader {
  private final HnswHeader header;
  private final Space space;
  private final MappedByteBuffer data;
  private final MappedByteBuffer norms;

  private HnswSegmentReader(HnswHeader header, Space space, MappedByteBuffer data, MappedByteBuffer norms) {
    this.header = header;
    this.space = space;
    this.data = data;
    this.norms = norms;
  }

  public static HnswSegmentReader open(Path delta, Path folder, Space space, int dimension)
      throws CorruptDeltaException {
    HnswHeader header = HnswHeader.read(delta, folder.resolve(HnswSegmentFormat.HEADER));
    if (header.dimension() != dimension) {
      throw new CorruptDeltaException(delta, DeltaProblem.WRONG_DIMENSION,
          folder.getFileName() + "/header.bin: vectors of dimension " + header.dimension()
              + ", but the collection's dimension is " + dimension);
    }
    long count = header.elementCount();
    MappedByteBuffer data = map(delta, folder.resolve(HnswSegmentFormat.DATA_LEVEL0),
        Math.multiplyExact(count, header.sizeDataPerElement()), "cur_element_count " + count
            + " x size_data_per_element " + header.sizeDataPerElement());
    MappedByteBuffer norms = space == Space.COSINE
        ? map(delta, folder.resolve(HnswSegmentFormat.LENGTH), Math.multiplyExact(count, Float.BYTES),
            "cur_element_count " + count + " x 4")
        : null;
    return new HnswSegmentReader(header, space, data, norms);
  }

  private static MappedByteBuffer map(Path delta, Path file, long needed, String why)
      throws CorruptDeltaException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < needed) {
        throw new CorruptDeltaException(delta, DeltaProblem.CORRUPT_HNSW, file.getParent().getFileName()
            + "/" + file.getFileName() + ": truncated: expected at least " + needed + " bytes (" + why
            + "), found " + size);
      }
      if (needed > Integer.MAX_VALUE) {
        throw new CorruptDeltaException(delta, DeltaProblem.CORRUPT_HNSW,
            file + ": " + needed + " bytes is larger than a delta may be (2 GiB)");
      }
      MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, needed);
      buf.order(ByteOrder.LITTLE_ENDIAN);
      return buf;
    } catch (NoSuchFileException e) {
      throw new CorruptDeltaException(delta, DeltaProblem.MISSING_HNSW,
          file.getParent().getFileName() + "/" + file.getFileName() + " is missing", e);
    } catch (IOException e) {
      throw new CorruptDeltaException(delta, DeltaProblem.CORRUPT_HNSW, file + ": " + e, e);
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

  /**
   * Copies the vector as Chroma's {@code get()} returns it: cosine vectors are stored unit-length and
   * multiplied back by their norm in float32, as hnswlib's getDataByLabel does.
   */
  public void vectorInto(int internalId, float[] dst) {
    int off = base(internalId) + (int) header.offsetData();
    float norm = space == Space.COSINE ? norms.getFloat(internalId * Float.BYTES) : 1f;
    for (int j = 0; j < dst.length; j++) {
      float v = data.getFloat(off + j * Float.BYTES);
      dst[j] = space == Space.COSINE ? v * norm : v;
    }
  }

  private int base(int internalId) {
    return (int) (internalId * header.sizeDataPerElement());
  }

  static boolean exists(Path folder) {
    return Files.isRegularFile(folder.resolve(HnswSegmentFormat.HEADER));
  }
}
