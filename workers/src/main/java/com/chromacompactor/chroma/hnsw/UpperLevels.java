package com.chromacompactor.chroma.hnsw;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads {@code link_lists.bin}, the levels above 0: per element a u32 size, then {@code size / (4 +
 * 4·maxM)} levels of (u16 count, u16 unused, maxM u32 neighbour ids). Each element's levels go to a
 * {@link Sink} as one array, level after level, each level a count followed by {@code maxM} ids.
 */
public final class UpperLevels {
  private UpperLevels() {}

  /** Receives the upper levels of one element. */
  @FunctionalInterface
  public interface Sink {
    /**
     * {@code links} holds {@code levels} blocks of {@code maxM + 1} ints: the count, then the ids.
     */
    void node(int node, int levels, int[] links);
  }

  public static void read(Path file, int elements, int maxM, Sink sink) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      read(in, CorruptIndexException.resource(file), elements, maxM, sink);
    }
  }

  /**
   * Reads the levels of {@code elements} elements of {@code resource} (the file, as messages name
   * it).
   */
  public static void read(InputStream stream, String resource, int elements, int maxM, Sink sink)
      throws IOException {
    int perLevel = HnswSegmentFormat.upperLevelBytes(maxM);
    DataInputStream in = new DataInputStream(stream);
    byte[] block = new byte[perLevel];
    ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
    int i = 0;
    try {
      for (; i < elements; i++) {
        int size = Integer.reverseBytes(in.readInt());
        if (size < 0 || size % perLevel != 0) {
          throw new CorruptIndexException(
              resource,
              "element "
                  + i
                  + ": link list size "
                  + Integer.toUnsignedString(size)
                  + " is not a whole number of "
                  + perLevel
                  + "-byte levels");
        }
        int levels = size / perLevel;
        int[] links = new int[levels * (maxM + 1)];
        for (int l = 0; l < levels; l++) {
          in.readFully(block);
          int count = b.getInt(0) & 0xFFFF;
          if (count > maxM) {
            throw new CorruptIndexException(
                resource,
                "element "
                    + i
                    + " level "
                    + (l + 1)
                    + ": "
                    + count
                    + " neighbours, more than maxM "
                    + maxM);
          }
          links[l * (maxM + 1)] = count;
          for (int j = 1; j <= maxM; j++) {
            int neighbour = b.getInt(Integer.BYTES * j);
            if (j <= count && (neighbour < 0 || neighbour >= elements)) {
              throw new CorruptIndexException(
                  resource,
                  "element "
                      + i
                      + " level "
                      + (l + 1)
                      + ": neighbour "
                      + Integer.toUnsignedString(neighbour)
                      + " outside 0.."
                      + (elements - 1));
            }
            links[l * (maxM + 1) + j] = neighbour;
          }
        }
        sink.node(i, levels, links);
      }
    } catch (EOFException e) {
      throw new CorruptIndexException(
          resource,
          "truncated: the link lists of " + elements + " elements end within element " + i,
          e);
    }
  }
}
