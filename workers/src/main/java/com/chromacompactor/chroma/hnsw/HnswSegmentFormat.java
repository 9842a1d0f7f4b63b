package com.chromacompactor.chroma.hnsw;

/**
 * The hnswlib "persistent index" folder that Chroma keeps per vector segment (chroma-core's hnswlib
 * fork, PERSISTENCE_VERSION 1; the same bytes from chroma-hnswlib 0.7.3 in chromadb 0.4 to the Rust
 * core of 1.5). All integers are little-endian, {@code size_t} is 8 bytes. See
 * docs/chroma-format.md, "HNSW folder".
 *
 * <pre>
 * header.bin (100 bytes)
 *   0 int32 PERSISTENCE_VERSION (=1)   4 u64 offsetLevel0 (=0)   12 u64 max_elements
 *  20 u64 cur_element_count          28 u64 size_data_per_element = offsetData + 4*dim + 8
 *  36 u64 label_offset = offsetData + 4*dim                      44 u64 offsetData = 4 + 4*maxM0
 *  52 int32 maxlevel                 56 u32 enterpoint_node      60 u64 maxM (=M)
 *  68 u64 maxM0 (=2M)                76 u64 M                    84 f64 mult (=1/ln M)
 *  92 u64 ef_construction
 * data_level0.bin: element i at i*size_data_per_element:
 *   u16 level-0 neighbour count, u8 flags (bit 0 = deleted), u8 unused, maxM0 x u32 neighbours,
 *   dim x f32 vector (unit length for cosine), u64 label
 * length.bin: f32 per element, the original L2 norm (meaningful for cosine only)
 * link_lists.bin: per element u32 size, then size bytes = level x (u16 count, u16 unused, maxM x u32)
 * index_metadata.pickle: the user id &lt;-&gt; label map, see {@link IdLabelMap}
 * </pre>
 *
 * Labels are 1-based and never reused; internal ids are insertion order. This class is the one
 * place that says how large an element is: the header check, the reader, the writer and the base
 * index all ask it.
 *
 * <p>Roles: the reading side is {@link HnswHeader}, {@link HnswSegmentReader}, {@link UpperLevels},
 * {@link IdLabelMap} and {@link BaseIndex} (a previous snapshot's index, opened to be extended);
 * the writing side is {@link HnswSegmentWriter} and {@link IdLabelPickleWriter}. Nothing here knows
 * Chroma's SQLite files or its exceptions: a file that is not what it should be is a {@link
 * CorruptIndexException} naming it, and a missing one a {@link java.nio.file.NoSuchFileException}.
 */
public final class HnswSegmentFormat {
  public static final int PERSISTENCE_VERSION = 1;
  public static final int HEADER_BYTES = 100;
  public static final byte DELETED_FLAG = 0x01;

  public static final String HEADER = "header.bin";
  public static final String DATA_LEVEL0 = "data_level0.bin";
  public static final String LENGTH = "length.bin";
  public static final String LINK_LISTS = "link_lists.bin";
  public static final String PICKLE = "index_metadata.pickle";

  private HnswSegmentFormat() {}

  /**
   * Where an element's vector starts: after the neighbour count, flags and {@code maxM0} neighbour
   * ids.
   */
  public static long offsetData(long maxM0) {
    return Integer.BYTES + Integer.BYTES * maxM0;
  }

  /** Where an element's label starts: after its vector. */
  public static long labelOffset(long maxM0, long dimension) {
    return offsetData(maxM0) + (long) Float.BYTES * dimension;
  }

  /** hnswlib's {@code size_data_per_element}: links, vector and label of one element. */
  public static long elementSize(long maxM0, long dimension) {
    return labelOffset(maxM0, dimension) + Long.BYTES;
  }

  /**
   * The bytes of one level of {@code link_lists.bin}: a count word and {@code maxM} neighbour ids.
   */
  public static int upperLevelBytes(int maxM) {
    return Integer.BYTES * (maxM + 1);
  }
}
