package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.chroma.HnswConfig;
import com.chromacompactor.chroma.Space;
import com.chromacompactor.chroma.hnsw.BaseIndex;
import com.chromacompactor.chroma.hnsw.CorruptIndexException;
import com.chromacompactor.chroma.hnsw.CosineNormalization;
import com.chromacompactor.chroma.hnsw.HnswSegmentFormat;
import com.chromacompactor.chroma.hnsw.HnswSegmentReader;
import com.chromacompactor.chroma.hnsw.HnswSegmentWriter;
import com.chromacompactor.chroma.hnsw.IdLabelPickleWriter;
import com.chromacompactor.hnsw.HnswBuilder;
import com.chromacompactor.hnsw.HnswGraph;
import com.chromacompactor.hnsw.IndexBuild;
import com.chromacompactor.invariant.InvariantViolation;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.BitSet;

/**
 * One collection's index written as an extension of a previous snapshot's (see {@link
 * IndexedSnapshotWriter#factory(int, ChromaTarget, IndexBuild)}):
 *
 * <ol>
 *   <li>plan: a record taken over with the base keeps its element, unless the merge replaced or
 *       deleted it; a record with a vector of its own keeps the element of its id when {@code
 *       get()} would return the same vector from either (for cosine, after the unit-length round
 *       trip a new element would put it through); the others get new elements, labelled above the
 *       base's highest, listed in {@code scratch.added};
 *   <li>the base folder is copied (or moved, from a base the compaction deletes afterwards) and
 *       mapped with room for the new elements, its upper levels and entry point restored; base
 *       elements no record kept are marked deleted;
 *   <li>the new elements are inserted into the loaded graph.
 * </ol>
 *
 * Only the base elements' kept flags are on the heap (a bit each); the plan is in a scratch table.
 */
final class IndexedExtension {
  private final Connection db;
  private final Path snapshotDir;
  private final ChromaTarget target;
  private final Vectors vectors;
  private final BaseIndex previous;
  private final HnswSegmentWriter.BaseFiles baseFiles;
  private final BitSet released;
  private final int threads;
  private final IndexBuild build;
  private final HnswBuilder.Progress progress;

  /** Reads the vector of a {@code scratch.vectors} slot. */
  @FunctionalInterface
  interface Vectors {
    void read(long slot, float[] into) throws IOException;
  }

  /**
   * @param baseFiles whether the base index's files may be moved into the snapshot (a base folder
   *     the compaction deletes afterwards) or must be copied
   * @param released null if the collection's records were all merged from deltas (each has a row in
   *     {@code scratch.vectors}); else the collection was taken over with the base, its records
   *     without such a row are held by their id's element, and this set holds the elements whose
   *     record the merge has since replaced or deleted
   */
  IndexedExtension(
      Connection db,
      Path snapshotDir,
      ChromaTarget target,
      Vectors vectors,
      BaseIndex previous,
      HnswSegmentWriter.BaseFiles baseFiles,
      BitSet released,
      int threads,
      IndexBuild build,
      HnswBuilder.Progress progress) {
    this.db = db;
    this.snapshotDir = snapshotDir;
    this.target = target;
    this.vectors = vectors;
    this.previous = previous;
    this.baseFiles = baseFiles;
    this.released = released;
    this.threads = threads;
    this.build = build;
    this.progress = progress;
  }

  /** Writes the index, or returns false (having written nothing) when a full rebuild is better. */
  boolean write(CollectionDefinition c, long live, int dimension)
      throws SQLException, IOException, InterruptedException {
    CollectionSlot slot = c.slot();
    HnswSegmentReader reader = previous.reader();
    int baseCount = previous.count();
    try (Statement st = db.createStatement()) {
      st.execute("DROP TABLE IF EXISTS scratch.added");
      st.execute(
          "CREATE TABLE scratch.added (row INTEGER PRIMARY KEY, slot INTEGER NOT NULL,"
              + " node INTEGER NOT NULL UNIQUE, label INTEGER NOT NULL)");
    }
    // 1. plan. Records still held by the base keep their elements without a query.
    BitSet kept = new BitSet(baseCount);
    if (released != null) {
      previous.nodeById().forEachNode(kept::set);
      kept.andNot(released);
    }
    // A record with a vector of its own keeps its id's element only when that is still exactly its
    // vector.
    float[] vector = new float[dimension];
    float[] stored = new float[dimension];
    boolean cosine = slot.hnsw().space() == Space.COSINE;
    long maxLabel = previous.maxLabel();
    int added = 0;
    try (PreparedStatement q =
            db.prepareStatement(
                "SELECT e.id, e.embedding_id, v.slot FROM embeddings e"
                    + " JOIN scratch.vectors v ON v.row = e.id WHERE e.segment_id = ? ORDER BY e.id");
        PreparedStatement add =
            db.prepareStatement(
                "INSERT INTO scratch.added (row, slot, node, label)" + " VALUES (?, ?, ?, ?)")) {
      q.setString(1, slot.metadataSegmentId());
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          int node = previous.node(rs.getString(2));
          if (node >= 0 && !kept.get(node)) {
            vectors.read(rs.getLong(3), vector);
            if (cosine) {
              CosineNormalization.roundTrip(vector); // what get() would return from a new element
            }
            reader.vectorInto(node, stored);
            if (Arrays.equals(vector, stored)) {
              kept.set(node);
              continue;
            }
          }
          // new, or updated to another vector: a new element, numbered and labelled in row order
          add.setLong(1, rs.getLong(1));
          add.setLong(2, rs.getLong(3));
          add.setInt(3, baseCount + added);
          add.setLong(4, maxLabel + 1 + added);
          add.executeUpdate();
          added++;
        }
      }
    }
    if (kept.cardinality() * 2L < baseCount) {
      return false; // mostly dead: a fresh graph searches better than one full of deleted elements
    }
    Path folder = snapshotDir.resolve(slot.vectorSegmentId());
    HnswConfig config = slot.hnsw();
    try (HnswSegmentWriter index =
        HnswSegmentWriter.extend(
            folder,
            previous,
            config.params(dimension),
            config.space().vectorForm(),
            added,
            baseFiles)) {
      HnswGraph graph = index.graph();
      // 2. base elements that no record kept
      for (int i = 0; i < baseCount; i++) {
        if (!kept.get(i) && !graph.isDeleted(i)) {
          graph.markDeleted(i);
        }
      }
      // 3. new elements
      int next = baseCount;
      try (PreparedStatement q =
              db.prepareStatement("SELECT node, label, slot FROM scratch.added ORDER BY node");
          ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          if (rs.getInt(1) != next) {
            throw new InvariantViolation(
                slot.key() + ": new element " + rs.getInt(1) + " where " + next + " was due");
          }
          vectors.read(rs.getLong(3), vector);
          index.setElement(next, rs.getLong(2), vector);
          next++;
        }
      }
      if (next != baseCount + added) {
        throw new InvariantViolation(
            slot.key() + ": planned " + added + " new elements, wrote " + (next - baseCount));
      }
      new HnswBuilder(graph, build).build(next, threads, progress);
      index.finish();
      writeIds(slot, folder.resolve(HnswSegmentFormat.PICKLE), dimension, maxLabel + added);
    }
    return true;
  }

  /**
   * The id map: a new element's label from the plan, else the label of the base element that holds
   * the record, which every record has; one without is a base whose rows and index disagree.
   */
  private void writeIds(CollectionSlot slot, Path pickle, int dimension, long maxLabel)
      throws SQLException, IOException {
    HnswSegmentReader reader = previous.reader();
    try (PreparedStatement ids =
        db.prepareStatement(
            "SELECT e.embedding_id, a.label FROM embeddings e"
                + " LEFT JOIN scratch.added a ON a.row = e.id WHERE e.segment_id = ? ORDER BY e.id")) {
      ids.setString(1, slot.metadataSegmentId());
      IdLabelPickleWriter.Ids labels =
          visitor -> {
            try (ResultSet rs = ids.executeQuery()) {
              while (rs.next()) {
                String id = rs.getString(1);
                long label = rs.getLong(2);
                if (rs.wasNull()) {
                  label = reader.label(baseNode(slot, id));
                }
                visitor.accept(id, label);
              }
            } catch (SQLException e) {
              throw new IOException("reading ids of " + slot.key() + ": " + e.getMessage(), e);
            }
          };
      IdLabelPickleWriter.write(
          pickle,
          target.format().idMap(),
          dimension,
          target.format().appliedSeqId(),
          maxLabel,
          labels);
    }
  }

  /**
   * The base element of a record the base must hold; one without is a corrupt base, named as such.
   */
  private int baseNode(CollectionSlot slot, String id) throws CorruptDeltaException {
    try {
      return previous.requireNode(id);
    } catch (CorruptIndexException e) {
      throw new CorruptDeltaException(
          previous.folder().getParent(),
          DeltaProblem.CORRUPT_HNSW,
          "collection " + slot.key() + ": " + e.getMessage(),
          e);
    }
  }
}
