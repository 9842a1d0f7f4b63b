package com.chromacompactor.chroma.hnsw;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.Space;
import java.nio.file.Path;

/**
 * The hnswlib "persistent index" folder that Chroma 1.x keeps per vector segment (chroma-core's
 * hnswlib fork, PERSISTENCE_VERSION 1). All integers are little-endian, {@code size_t} is 8 bytes.
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
 * Labels are 1-based and never reused; internal ids are insertion order.
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

  /** Opens the persisted vectors of one segment folder, checked against the collection's dimension. */
  public static HnswSegmentReader openReader(Path delta, Path folder, Space space, int dimension)
      throws CorruptDeltaException {
    return HnswSegmentReader.open(delta, folder, space, dimension);
  }
}
