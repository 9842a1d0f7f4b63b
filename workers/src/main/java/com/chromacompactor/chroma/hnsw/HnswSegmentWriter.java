package com.chromacompactor.chroma.hnsw;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.chroma.HnswConfig;
import com.chromacompactor.chroma.Space;
import com.chromacompactor.hnsw.HnswGraph;
import com.chromacompactor.hnsw.HnswParams;
import com.chromacompactor.hnsw.Level0Store;
import com.chromacompactor.hnsw.Metric;
import com.chromacompactor.storage.LocalFiles;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes one hnswlib persistent index folder ({@link HnswSegmentFormat}): {@code data_level0.bin} is
 * memory-mapped and is itself the graph's level-0 store, so the graph is built in the file; {@code
 * length.bin} is mapped beside it; {@link #finish} writes {@code link_lists.bin} and {@code header.bin}.
 *
 * <p>Use: {@link #create}, {@link #setElement} for every internal id, build the graph on {@link
 * #graph()}, {@link #finish}, {@link #close}.
 */
public final class HnswSegmentWriter implements Closeable {
  private final Path folder;
  private final Space space;
  private final HnswParams params;
  private final long count;
  private final FileChannel data;
  private final FileChannel lengths;
  private final MappedByteBuffer norms;
  private final Level0Store store;
  private final HnswGraph graph;
  private final int labelOffset;
  private final float[] normalized;
  private final long baseCount;
  private boolean finished;

  private HnswSegmentWriter(Path folder, Space space, HnswParams params, long count, FileChannel data,
      FileChannel lengths, MappedByteBuffer norms, Level0Store store, long baseCount) {
    this.folder = folder;
    this.space = space;
    this.params = params;
    this.count = count;
    this.data = data;
    this.lengths = lengths;
    this.norms = norms;
    this.store = store;
    this.graph = new HnswGraph(params, store);
    this.labelOffset = offsetData(params) + 4 * params.dimension();
    this.normalized = new float[params.dimension()];
    this.baseCount = baseCount;
  }

  /** hnswlib's metric for a Chroma space: cosine is inner product over normalised vectors. */
  public static Metric metric(Space space) {
    return space == Space.L2 ? Metric.L2 : Metric.INNER_PRODUCT;
  }

  public static HnswParams params(HnswConfig config, int dimension) {
    return new HnswParams(metric(config.space()), dimension, config.maxNeighbors(), config.efConstruction(),
        HnswParams.DEFAULT_SEED);
  }

  static int offsetData(HnswParams p) {
    return 4 + 4 * p.maxM0();
  }

  static int sizeDataPerElement(HnswParams p) {
    return offsetData(p) + 4 * p.dimension() + Long.BYTES;
  }

  /** Creates the folder's files for exactly {@code count} elements (count ≥ 1). */
  public static HnswSegmentWriter create(Path folder, HnswConfig config, int dimension, long count)
      throws IOException {
    if (count < 1) {
      throw new IllegalArgumentException("an index folder needs at least one element; count=" + count);
    }
    HnswParams params = params(config, dimension);
    Files.createDirectories(folder);
    FileChannel data = null;
    FileChannel lengths = null;
    boolean success = false;
    try {
      data = FileChannel.open(folder.resolve(HnswSegmentFormat.DATA_LEVEL0), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.READ, StandardOpenOption.WRITE);
      lengths = FileChannel.open(folder.resolve(HnswSegmentFormat.LENGTH), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.READ, StandardOpenOption.WRITE);
      int size = sizeDataPerElement(params);
      Level0Store store = Level0Store.map(data, count, size, params.maxM0(), dimension);
      MappedByteBuffer norms = lengths.map(FileChannel.MapMode.READ_WRITE, 0, Math.multiplyExact(count, 4L));
      norms.order(ByteOrder.LITTLE_ENDIAN);
      HnswSegmentWriter w = new HnswSegmentWriter(folder, config.space(), params, count, data, lengths, norms, store, 0);
      success = true;
      return w;
    } finally {
      if (!success) {
        closeQuietly(data);
        closeQuietly(lengths);
      }
    }
  }

  /**
   * A previous index, checked against the collection's parameters: null if it cannot be extended
   * (absent, or built with another M, dimension or ef_construction), in which case the caller builds
   * from scratch.
   */
  public static BaseIndex openBase(Path baseFolder, HnswConfig config, int dimension) throws IOException {
    if (!Files.isRegularFile(baseFolder.resolve(HnswSegmentFormat.HEADER))
        || !Files.isRegularFile(baseFolder.resolve(HnswSegmentFormat.PICKLE))) {
      return null;
    }
    HnswHeader h = HnswHeader.read(baseFolder, baseFolder.resolve(HnswSegmentFormat.HEADER));
    HnswParams p = params(config, dimension);
    if (h.dimension() != dimension || h.m() != p.m() || h.maxM0() != p.maxM0() || h.efConstruction() != p.efConstruction()
        || h.elementCount() < 1 || h.sizeDataPerElement() != sizeDataPerElement(p)) {
      return null;
    }
    HnswSegmentReader reader = HnswSegmentReader.open(baseFolder, baseFolder, config.space(), dimension);
    IdLabelMap ids = IdLabelMap.read(baseFolder, baseFolder.resolve(HnswSegmentFormat.PICKLE));
    Map<Long, String> labelToId = ids.labelToId();
    // The map is kept by id alone: the writer asks which element holds a record, never the reverse, and
    // the pickle's own maps are garbage once this returns.
    Map<String, Integer> nodeById = new HashMap<>(labelToId.size() * 4 / 3 + 1);
    long maxLabel = 0;
    for (long l : labelToId.keySet()) {
      maxLabel = Math.max(maxLabel, l);
    }
    int count = (int) h.elementCount();
    for (int i = 0; i < count; i++) {
      long label = reader.label(i);
      maxLabel = Math.max(maxLabel, label);
      String id = reader.isDeleted(i) ? null : labelToId.get(label);
      if (id != null) {
        nodeById.put(id, i); // two live elements with one id: the later one, as hnswlib's label lookup has it
      }
    }
    return new BaseIndex(baseFolder, h, reader, nodeById, maxLabel);
  }

  /**
   * A previous snapshot's index folder, memory-mapped read-only, with its live, labelled elements by
   * record id ({@code nodeById}) and the highest label it ever gave ({@code maxLabel}: new elements are
   * labelled above it).
   */
  public record BaseIndex(Path folder, HnswHeader header, HnswSegmentReader reader, Map<String, Integer> nodeById,
      long maxLabel) {
    public int count() {
      return (int) header.elementCount();
    }

    /** The live element that holds record {@code id}, or -1. */
    public int node(String id) {
      Integer node = nodeById.get(id);
      return node == null ? -1 : node;
    }

    /**
     * As {@link #node}, for a record the base must hold: one without an element is a base whose rows
     * and index disagree.
     */
    public int requireNode(String id, Object collection) throws CorruptDeltaException {
      int node = node(id);
      if (node < 0) {
        throw new CorruptDeltaException(folder.getParent(), DeltaProblem.CORRUPT_HNSW, "collection " + collection
            + ": record '" + id + "' has no live element in the index");
      }
      return node;
    }

    /** How many records have a live element. */
    public int records() {
      return nodeById.size();
    }
  }

  /**
   * Creates the folder's files as a copy of {@code base} extended by {@code added} elements: the base
   * elements keep their internal ids, labels, vectors, norms and links (the graph is restored from
   * {@code link_lists.bin} and the header); new elements go at {@code base.count()..}. Nothing is read
   * onto the heap but the upper-level links. With {@code moveBase}, the base's {@code data_level0.bin}
   * is moved here rather than copied (the base folder is a copy the caller deletes): the base's reader
   * still maps the same file and sees its elements' vectors and labels, which the extension never
   * rewrites.
   */
  public static HnswSegmentWriter extend(Path folder, BaseIndex base, HnswConfig config, int dimension, long added,
      boolean moveBase) throws IOException {
    HnswParams params = params(config, dimension);
    long baseCount = base.count();
    long count = baseCount + added;
    int size = sizeDataPerElement(params);
    Files.createDirectories(folder);
    Path baseData = base.folder().resolve(HnswSegmentFormat.DATA_LEVEL0);
    Path newData = folder.resolve(HnswSegmentFormat.DATA_LEVEL0);
    if (moveBase && LocalFiles.soleLink(baseData)) {
      movePrefix(baseData, newData, baseCount * size);
    } else {
      copyPrefix(baseData, newData, baseCount * size);
    }
    copyPrefix(base.folder().resolve(HnswSegmentFormat.LENGTH), folder.resolve(HnswSegmentFormat.LENGTH),
        baseCount * 4);
    FileChannel data = null;
    FileChannel lengths = null;
    boolean success = false;
    try {
      data = FileChannel.open(folder.resolve(HnswSegmentFormat.DATA_LEVEL0), StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      lengths = FileChannel.open(folder.resolve(HnswSegmentFormat.LENGTH), StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      Level0Store store = Level0Store.map(data, count, size, params.maxM0(), dimension);
      MappedByteBuffer norms = lengths.map(FileChannel.MapMode.READ_WRITE, 0, Math.multiplyExact(count, 4L));
      norms.order(ByteOrder.LITTLE_ENDIAN);
      HnswSegmentWriter w = new HnswSegmentWriter(folder, config.space(), params, count, data, lengths, norms, store,
          baseCount);
      restoreUpperLevels(base.folder().resolve(HnswSegmentFormat.LINK_LISTS), w.graph, params, (int) baseCount);
      w.graph.restoreEntry(base.header().entryPoint(), base.header().maxLevel(), (int) baseCount);
      success = true;
      return w;
    } finally {
      if (!success) {
        closeQuietly(data);
        closeQuietly(lengths);
      }
    }
  }

  private static void copyPrefix(Path from, Path to, long bytes) throws IOException {
    try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      if (in.size() < bytes) {
        throw new IOException(from + ": truncated: expected at least " + bytes + " bytes, found " + in.size());
      }
      long done = 0;
      while (done < bytes) {
        done += in.transferTo(done, bytes - done, out);
      }
    }
  }

  /** Moves {@code from} to {@code to}, cut to its first {@code bytes}: room beyond the base's elements is not ours. */
  private static void movePrefix(Path from, Path to, long bytes) throws IOException {
    Files.move(from, to);
    try (FileChannel ch = FileChannel.open(to, StandardOpenOption.WRITE)) {
      if (ch.size() < bytes) {
        throw new IOException(from + ": truncated: expected at least " + bytes + " bytes, found " + ch.size());
      }
      ch.truncate(bytes);
    }
  }

  /** Reads link_lists.bin: per element u32 size, then size / (4 + 4·maxM) levels of (count, maxM ids). */
  private static void restoreUpperLevels(Path file, HnswGraph graph, HnswParams params, int count) throws IOException {
    int perLevelBytes = 4 * (params.m() + 1);
    try (var in = new java.io.DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      byte[] block = new byte[perLevelBytes];
      for (int i = 0; i < count; i++) {
        int size = Integer.reverseBytes(in.readInt());
        if (size < 0 || size % perLevelBytes != 0) {
          throw new IOException(file + ": element " + i + ": link list size " + size + " is not a whole number of "
              + perLevelBytes + "-byte levels");
        }
        int levels = size / perLevelBytes;
        int[] links = new int[levels * (params.m() + 1)];
        ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        for (int l = 0; l < levels; l++) {
          in.readFully(block);
          b.clear();
          links[l * (params.m() + 1)] = b.getInt(0) & 0xFFFF;
          for (int j = 1; j <= params.m(); j++) {
            links[l * (params.m() + 1) + j] = b.getInt(4 * j);
          }
        }
        graph.restoreNode(i, levels, links);
      }
    }
  }

  /** Elements {@code 0..baseCount()-1} came from the base index. */
  public long baseCount() {
    return baseCount;
  }

  private static void closeQuietly(Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException suppressed) {
        // the original failure is reported
      }
    }
  }

  public HnswGraph graph() {
    return graph;
  }

  public HnswParams params() {
    return params;
  }

  /**
   * Stores element {@code internalId}: its label, and its vector as hnswlib stores it (normalised,
   * with the norm in {@code length.bin}, for cosine; {@code get()} multiplies it back).
   */
  public void setElement(int internalId, long label, float[] vector) {
    if (vector.length != params.dimension()) {
      throw new IllegalArgumentException("vector of dimension " + vector.length + ", expected " + params.dimension());
    }
    if (space == Space.COSINE) {
      float length = CosineNormalization.normalizeInto(vector, normalized);
      store.writeVector(internalId, normalized);
      norms.putFloat(internalId * 4, length);
    } else {
      store.writeVector(internalId, vector);
      norms.putFloat(internalId * 4, 0f);
    }
    ByteBuffer b = store.buffer(internalId);
    b.putLong(store.byteOffset(internalId) + labelOffset, label);
  }

  /** Writes link_lists.bin and header.bin for a graph of {@code count} nodes, and flushes the maps. */
  public void finish() throws IOException {
    if (finished) {
      throw new IllegalStateException("already finished");
    }
    finished = true;
    if (graph.size() != count) {
      throw new IllegalStateException("graph has " + graph.size() + " nodes, the folder " + count);
    }
    writeLinkLists(folder.resolve(HnswSegmentFormat.LINK_LISTS), graph, params);
    writeHeader(folder.resolve(HnswSegmentFormat.HEADER), params, count, count, graph.maxLevel(), graph.entryPoint());
    // No force(): nothing in a snapshot folder is fsynced (its SQLite runs with synchronous=OFF). It is
    // private until published whole, readers share the page cache, and the workflow's copy of record is
    // the upload, checked by hash. Flushing the mapped files alone cost 0.15 s per 300 MB.
  }

  static void writeLinkLists(Path file, HnswGraph graph, HnswParams params) throws IOException {
    int perLevel = params.m() + 1;
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      for (int i = 0; i < graph.size(); i++) {
        int level = graph.level(i);
        int[] links = graph.upperLinks(i);
        int ints = level * perLevel;
        if (buf.remaining() < 4 + 4 * ints) {
          drain(ch, buf);
          if (buf.capacity() < 4 + 4 * ints) {
            buf = ByteBuffer.allocate(4 + 4 * ints).order(ByteOrder.LITTLE_ENDIAN);
          }
        }
        buf.putInt(ints * 4);
        for (int j = 0; j < ints; j++) {
          buf.putInt(links[j]); // count as u16 + 2 zero bytes, then maxM ids: hnswlib's block exactly
        }
      }
      drain(ch, buf);
    }
  }

  private static void drain(FileChannel ch, ByteBuffer buf) throws IOException {
    buf.flip();
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
    buf.clear();
  }

  static void writeHeader(Path file, HnswParams p, long maxElements, long count, int maxLevel, int entryPoint)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(HnswSegmentFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    int offsetData = offsetData(p);
    b.putInt(HnswSegmentFormat.PERSISTENCE_VERSION);
    b.putLong(0); // offsetLevel0
    b.putLong(maxElements);
    b.putLong(count);
    b.putLong(sizeDataPerElement(p));
    b.putLong(offsetData + 4L * p.dimension()); // label_offset
    b.putLong(offsetData);
    b.putInt(maxLevel);
    b.putInt(entryPoint);
    b.putLong(p.m()); // maxM
    b.putLong(p.maxM0());
    b.putLong(p.m());
    b.putDouble(p.levelMultiplier());
    b.putLong(p.efConstruction());
    b.flip();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      while (b.hasRemaining()) {
        ch.write(b);
      }
    }
  }

  @Override
  public void close() throws IOException {
    try {
      data.close();
    } finally {
      lengths.close();
    }
  }
}
