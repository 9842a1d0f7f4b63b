package com.chromacompactor.chroma.hnsw;

import com.chromacompactor.files.FileLinks;
import com.chromacompactor.hnsw.HnswGraph;
import com.chromacompactor.hnsw.HnswParams;
import com.chromacompactor.hnsw.Level0Store;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes one hnswlib persistent index folder ({@link HnswSegmentFormat}): {@code data_level0.bin}
 * is memory-mapped and is itself the graph's level-0 store, so the graph is built in the file;
 * {@code length.bin} is mapped beside it; {@link #finish} writes {@code link_lists.bin} and {@code
 * header.bin}.
 *
 * <p>Use: {@link #create} (or {@link #extend} a {@link BaseIndex}), {@link #setElement} for every
 * new internal id, build the graph on {@link #graph()}, {@link #finish}, {@link #close}.
 */
public final class HnswSegmentWriter implements Closeable {
  /** What {@link #extend} does with the base index's files. */
  public enum BaseFiles {
    /** The base folder belongs to the caller: its files are copied. */
    COPY,
    /**
     * The base folder is the compaction's own copy, deleted afterwards: its {@code data_level0.bin}
     * is moved (unless another hard link shares it), not copied.
     */
    MOVE
  }

  private final Path folder;
  private final VectorForm form;
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

  private HnswSegmentWriter(
      Path folder,
      VectorForm form,
      HnswParams params,
      long count,
      FileChannel data,
      FileChannel lengths,
      MappedByteBuffer norms,
      Level0Store store,
      long baseCount) {
    this.folder = folder;
    this.form = form;
    this.params = params;
    this.count = count;
    this.data = data;
    this.lengths = lengths;
    this.norms = norms;
    this.store = store;
    this.graph = new HnswGraph(params, store);
    this.labelOffset = (int) HnswSegmentFormat.labelOffset(params.maxM0(), params.dimension());
    this.normalized = new float[params.dimension()];
    this.baseCount = baseCount;
  }

  private static int elementSize(HnswParams p) {
    return Math.toIntExact(HnswSegmentFormat.elementSize(p.maxM0(), p.dimension()));
  }

  /** Creates the folder's files for exactly {@code count} elements (count ≥ 1). */
  public static HnswSegmentWriter create(
      Path folder, HnswParams params, VectorForm form, long count) throws IOException {
    if (count < 1) {
      throw new IllegalArgumentException(
          "an index folder needs at least one element; count=" + count);
    }
    Files.createDirectories(folder);
    FileChannel data = null;
    FileChannel lengths = null;
    boolean success = false;
    try {
      data =
          FileChannel.open(
              folder.resolve(HnswSegmentFormat.DATA_LEVEL0),
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
      lengths =
          FileChannel.open(
              folder.resolve(HnswSegmentFormat.LENGTH),
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
      Level0Store store =
          Level0Store.map(data, count, elementSize(params), params.maxM0(), params.dimension());
      MappedByteBuffer norms =
          lengths.map(FileChannel.MapMode.READ_WRITE, 0, Math.multiplyExact(count, 4L));
      norms.order(ByteOrder.LITTLE_ENDIAN);
      HnswSegmentWriter w =
          new HnswSegmentWriter(folder, form, params, count, data, lengths, norms, store, 0);
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
   * Creates the folder's files as a copy of {@code base} extended by {@code added} elements: the
   * base elements keep their internal ids, labels, vectors, norms and links (the graph is restored
   * from {@code link_lists.bin} and the header); new elements go at {@code base.count()..}. Nothing
   * is read onto the heap but the upper-level links. With {@link BaseFiles#MOVE}, the base's {@code
   * data_level0.bin} is moved here rather than copied: the base's reader still maps the same file
   * and sees its elements' vectors and labels, which the extension never rewrites.
   */
  public static HnswSegmentWriter extend(
      Path folder,
      BaseIndex base,
      HnswParams params,
      VectorForm form,
      long added,
      BaseFiles baseFiles)
      throws IOException {
    long baseCount = base.count();
    long count = baseCount + added;
    int size = elementSize(params);
    Files.createDirectories(folder);
    Path baseData = base.folder().resolve(HnswSegmentFormat.DATA_LEVEL0);
    Path newData = folder.resolve(HnswSegmentFormat.DATA_LEVEL0);
    if (baseFiles == BaseFiles.MOVE && FileLinks.soleLink(baseData)) {
      movePrefix(baseData, newData, baseCount * size);
    } else {
      copyPrefix(baseData, newData, baseCount * size);
    }
    copyPrefix(
        base.folder().resolve(HnswSegmentFormat.LENGTH),
        folder.resolve(HnswSegmentFormat.LENGTH),
        baseCount * 4);
    FileChannel data = null;
    FileChannel lengths = null;
    boolean success = false;
    try {
      data =
          FileChannel.open(
              folder.resolve(HnswSegmentFormat.DATA_LEVEL0),
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
      lengths =
          FileChannel.open(
              folder.resolve(HnswSegmentFormat.LENGTH),
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
      Level0Store store = Level0Store.map(data, count, size, params.maxM0(), params.dimension());
      MappedByteBuffer norms =
          lengths.map(FileChannel.MapMode.READ_WRITE, 0, Math.multiplyExact(count, 4L));
      norms.order(ByteOrder.LITTLE_ENDIAN);
      HnswSegmentWriter w =
          new HnswSegmentWriter(
              folder, form, params, count, data, lengths, norms, store, baseCount);
      UpperLevels.read(
          base.folder().resolve(HnswSegmentFormat.LINK_LISTS),
          (int) baseCount,
          params.m(),
          w.graph::restoreNode);
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
        FileChannel out =
            FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      if (in.size() < bytes) {
        throw new CorruptIndexException(
            CorruptIndexException.resource(from),
            "truncated: expected at least " + bytes + " bytes, found " + in.size());
      }
      long done = 0;
      while (done < bytes) {
        done += in.transferTo(done, bytes - done, out);
      }
    }
  }

  /**
   * Moves {@code from} to {@code to}, cut to its first {@code bytes}: room beyond the base's
   * elements is not ours.
   */
  private static void movePrefix(Path from, Path to, long bytes) throws IOException {
    Files.move(from, to);
    try (FileChannel ch = FileChannel.open(to, StandardOpenOption.WRITE)) {
      if (ch.size() < bytes) {
        throw new CorruptIndexException(
            CorruptIndexException.resource(from),
            "truncated: expected at least " + bytes + " bytes, found " + ch.size());
      }
      ch.truncate(bytes);
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
      throw new IllegalArgumentException(
          "vector of dimension " + vector.length + ", expected " + params.dimension());
    }
    if (form == VectorForm.NORMALIZED) {
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

  /**
   * Writes link_lists.bin and header.bin for a graph of {@code count} nodes, and flushes the maps.
   */
  public void finish() throws IOException {
    if (finished) {
      throw new IllegalStateException("already finished");
    }
    finished = true;
    if (graph.size() != count) {
      throw new IllegalStateException("graph has " + graph.size() + " nodes, the folder " + count);
    }
    writeLinkLists(folder.resolve(HnswSegmentFormat.LINK_LISTS), graph, params);
    writeHeader(
        folder.resolve(HnswSegmentFormat.HEADER),
        params,
        count,
        count,
        graph.maxLevel(),
        graph.entryPoint());
    // No force(): nothing in a snapshot folder is fsynced (its SQLite runs with synchronous=OFF).
    // It is
    // private until published whole, readers share the page cache, and the workflow's copy of
    // record is
    // the upload, checked by hash. Flushing the mapped files alone cost 0.15 s per 300 MB.
  }

  static void writeLinkLists(Path file, HnswGraph graph, HnswParams params) throws IOException {
    int perLevel = params.m() + 1;
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
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
          buf.putInt(
              links[j]); // count as u16 + 2 zero bytes, then maxM ids: hnswlib's block exactly
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

  static void writeHeader(
      Path file, HnswParams p, long maxElements, long count, int maxLevel, int entryPoint)
      throws IOException {
    ByteBuffer b =
        ByteBuffer.allocate(HnswSegmentFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    long offsetData = HnswSegmentFormat.offsetData(p.maxM0());
    b.putInt(HnswSegmentFormat.PERSISTENCE_VERSION);
    b.putLong(0); // offsetLevel0
    b.putLong(maxElements);
    b.putLong(count);
    b.putLong(HnswSegmentFormat.elementSize(p.maxM0(), p.dimension()));
    b.putLong(HnswSegmentFormat.labelOffset(p.maxM0(), p.dimension()));
    b.putLong(offsetData);
    b.putInt(maxLevel);
    b.putInt(entryPoint);
    b.putLong(p.m()); // maxM
    b.putLong(p.maxM0());
    b.putLong(p.m());
    b.putDouble(p.levelMultiplier());
    b.putLong(p.efConstruction());
    b.flip();
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
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
