package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.hnsw.HnswSegmentFormat;
import com.chromacompactor.chroma.hnsw.HnswSegmentReader;
import com.chromacompactor.chroma.hnsw.HnswSegmentWriter;
import com.chromacompactor.chroma.hnsw.IdLabelPickleWriter;
import com.chromacompactor.hnsw.HnswBuilder;
import com.chromacompactor.hnsw.HnswGraph;
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
 * IndexedSnapshotWriter#factory(int, Path)}):
 *
 * <ol>
 *   <li>plan: each live record whose id has a live base element holding exactly its vector (as
 *       {@code get()} returns it) keeps that element and label; the others need a new element;
 *   <li>the base folder is copied and mapped with room for the new elements, its upper levels and
 *       entry point restored; base elements no record kept are marked deleted;
 *   <li>new elements get labels above the base's highest and are inserted into the loaded graph.
 * </ol>
 *
 * The plan lives in scratch tables, never on the heap.
 */
final class IndexedExtension {
  private final Connection db;
  private final Path snapshotDir;
  private final Vectors vectors;
  private final HnswSegmentWriter.BaseIndex previous;
  private final String nodeTable;
  private final int threads;
  private final HnswBuilder.Progress progress;

  /** Reads the vector of a {@code scratch.vectors} slot. */
  @FunctionalInterface
  interface Vectors {
    void read(long slot, float[] into) throws IOException;
  }

  /** @param nodeTable the scratch table of the base's elements by id ({@link IndexedBase#writeNodeTable}) */
  IndexedExtension(Connection db, Path snapshotDir, Vectors vectors, HnswSegmentWriter.BaseIndex previous,
      String nodeTable, int threads, HnswBuilder.Progress progress) {
    this.db = db;
    this.snapshotDir = snapshotDir;
    this.vectors = vectors;
    this.previous = previous;
    this.nodeTable = nodeTable;
    this.threads = threads;
    this.progress = progress;
  }

  /** Writes the index, or returns false (having written nothing) when a full rebuild is better. */
  boolean write(CollectionDefinition c, long live, int dimension) throws SQLException, IOException,
      InterruptedException {
    CollectionSlot slot = c.slot();
    HnswSegmentReader reader = previous.reader();
    int baseCount = previous.count();
    try (Statement st = db.createStatement()) {
      st.execute("DROP TABLE IF EXISTS scratch.plan");
      st.execute("CREATE TABLE scratch.plan (row INTEGER PRIMARY KEY, node INTEGER NOT NULL, label INTEGER NOT NULL)");
    }
    // 1. plan. A record taken over with the base (slot < 0) keeps its element: one statement for all.
    BitSet kept = new BitSet(baseCount);
    try (PreparedStatement taken = db.prepareStatement("INSERT INTO scratch.plan (row, node, label)"
        + " SELECT e.id, b.node, b.label FROM embeddings e JOIN scratch.vectors v ON v.row = e.id"
        + " JOIN scratch." + nodeTable + " b ON b.id = e.embedding_id WHERE e.segment_id = ? AND v.slot < 0");
        PreparedStatement nodes = db.prepareStatement("SELECT node FROM scratch.plan")) {
      taken.setString(1, slot.metadataSegmentId());
      taken.executeUpdate();
      try (ResultSet rs = nodes.executeQuery()) {
        while (rs.next()) {
          kept.set(rs.getInt(1));
        }
      }
    }
    // The others keep their id's base element only when their vector is still exactly its vector.
    float[] vector = new float[dimension];
    float[] stored = new float[dimension];
    long added = 0;
    try (PreparedStatement q = db.prepareStatement("SELECT e.id, v.slot, b.node, b.label FROM embeddings e"
        + " JOIN scratch.vectors v ON v.row = e.id LEFT JOIN scratch." + nodeTable + " b ON b.id = e.embedding_id"
        + " WHERE e.segment_id = ? AND v.slot >= 0 ORDER BY e.id");
        PreparedStatement plan = db.prepareStatement("INSERT INTO scratch.plan (row, node, label) VALUES (?, ?, ?)")) {
      q.setString(1, slot.metadataSegmentId());
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          int node = rs.getInt(3);
          boolean same = false;
          if (!rs.wasNull()) {
            vectors.read(rs.getLong(2), vector);
            reader.vectorInto(node, stored);
            same = Arrays.equals(vector, stored);
          }
          if (same) {
            kept.set(node);
            plan.setLong(1, rs.getLong(1));
            plan.setInt(2, node);
            plan.setLong(3, rs.getLong(4));
            plan.executeUpdate();
          } else {
            added++; // new, or updated to another vector: a new element
          }
        }
      }
    }
    if (kept.cardinality() * 2L < baseCount) {
      return false; // mostly dead: a fresh graph searches better than one full of deleted elements
    }
    Path folder = snapshotDir.resolve(slot.vectorSegmentId());
    long[] maxLabel = {previous.maxLabel()};
    try (HnswSegmentWriter index = HnswSegmentWriter.extend(folder, previous, slot.hnsw(), dimension, added)) {
      HnswGraph graph = index.graph();
      // 2. base elements that no record kept
      for (int i = 0; i < baseCount; i++) {
        if (!kept.get(i) && !graph.isDeleted(i)) {
          graph.markDeleted(i);
        }
      }
      // 3. new elements
      int next = baseCount;
      try (PreparedStatement q = db.prepareStatement("SELECT e.id, v.slot FROM embeddings e"
          + " JOIN scratch.vectors v ON v.row = e.id WHERE e.segment_id = ? AND e.id NOT IN (SELECT row FROM scratch.plan)"
          + " ORDER BY e.id");
          PreparedStatement newRows = db.prepareStatement("CREATE TABLE IF NOT EXISTS scratch.added"
              + " (row INTEGER PRIMARY KEY, node INTEGER NOT NULL, label INTEGER NOT NULL)")) {
        newRows.execute();
        try (Statement st = db.createStatement()) {
          st.execute("DELETE FROM scratch.added");
        }
        q.setString(1, slot.metadataSegmentId());
        try (ResultSet rs = q.executeQuery();
            PreparedStatement ins = db.prepareStatement("INSERT INTO scratch.added (row, node, label) VALUES (?, ?, ?)")) {
          while (rs.next()) {
            vectors.read(rs.getLong(2), vector);
            long label = ++maxLabel[0];
            index.setElement(next, label, vector);
            ins.setLong(1, rs.getLong(1));
            ins.setInt(2, next);
            ins.setLong(3, label);
            ins.executeUpdate();
            next++;
          }
        }
      }
      if (next != baseCount + added) {
        throw new IOException(slot.key() + ": planned " + added + " new elements, wrote " + (next - baseCount));
      }
      new HnswBuilder(graph).build(next, threads, progress);
      index.finish();
      try (PreparedStatement ids = db.prepareStatement("SELECT e.embedding_id, COALESCE(p.label, a.label)"
          + " FROM embeddings e LEFT JOIN scratch.plan p ON p.row = e.id LEFT JOIN scratch.added a ON a.row = e.id"
          + " WHERE e.segment_id = ? ORDER BY e.id")) {
        ids.setString(1, slot.metadataSegmentId());
        IdLabelPickleWriter.write(folder.resolve(HnswSegmentFormat.PICKLE), maxLabel[0], visitor -> {
          try (ResultSet rs = ids.executeQuery()) {
            while (rs.next()) {
              visitor.accept(rs.getString(1), rs.getLong(2));
            }
          } catch (SQLException e) {
            throw new IOException("reading ids of " + slot.key() + ": " + e.getMessage(), e);
          }
        });
      }
    }
    return true;
  }
}
