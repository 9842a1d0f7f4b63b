package com.chromacompactor.chroma.hnsw;

import com.chromacompactor.hnsw.HnswParams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A previous snapshot's index folder, opened to be extended by an incremental run: memory-mapped
 * read-only, with its live, labelled elements by record id ({@code nodeById}) and the highest label
 * it ever gave ({@code maxLabel}: new elements are labelled above it). {@link
 * HnswSegmentWriter#extend} writes the extended folder.
 */
public record BaseIndex(
    Path folder,
    HnswHeader header,
    HnswSegmentReader reader,
    ElementsById nodeById,
    long maxLabel) {

  /**
   * The index of {@code folder} if it can be extended by a graph of {@code params}: null when it
   * cannot (absent, empty, or built with another M, dimension or ef_construction), and the caller
   * builds from scratch. Files that are present but broken are a {@link CorruptIndexException}.
   */
  public static BaseIndex open(Path folder, HnswParams params, VectorForm form) throws IOException {
    if (!Files.isRegularFile(folder.resolve(HnswSegmentFormat.HEADER))
        || !Files.isRegularFile(folder.resolve(HnswSegmentFormat.PICKLE))) {
      return null;
    }
    HnswHeader h = HnswHeader.read(folder.resolve(HnswSegmentFormat.HEADER));
    if (h.dimension() != params.dimension()
        || h.m() != params.m()
        || h.maxM0() != params.maxM0()
        || h.efConstruction() != params.efConstruction()
        || h.elementCount() < 1) {
      return null;
    }
    HnswSegmentReader reader = HnswSegmentReader.open(folder, form);
    // The live elements by label, sorted, so that each (id, label) pair of the pickle finds its
    // element as it is decoded: no label-to-id map beside the decoded pickle.
    int count = (int) h.elementCount();
    long[] byLabel = new long[count]; // label << 32 | element; labels are below 2^31
    int live = 0;
    long highest = 0;
    for (int i = 0; i < count; i++) {
      long label = reader.label(i);
      highest = Math.max(highest, label);
      if (!reader.isDeleted(i)) {
        if (label < 0 || label > Integer.MAX_VALUE) {
          throw new CorruptIndexException(
              folder.getFileName().toString(),
              "element " + i + " has label " + label + ", above 2^31 - 1: no index of ours does");
        }
        byLabel[live++] = label << 32 | i;
      }
    }
    Arrays.sort(byLabel, 0, live);
    long[] sorted = byLabel; // sorted[0..live)
    int liveCount = live;
    ElementsById nodeById = new ElementsById(live);
    long[] maxLabel = {highest};
    IdLabelMap.forEachPair(
        folder.resolve(HnswSegmentFormat.PICKLE),
        (id, label) -> {
          maxLabel[0] = Math.max(maxLabel[0], label);
          // every live element with this label (hnswlib never gives a label twice, but a second
          // one is kept as the later element, as hnswlib's label lookup has it)
          int at = Arrays.binarySearch(sorted, 0, liveCount, label << 32);
          for (int k = at >= 0 ? at : -at - 1; k < liveCount && sorted[k] >>> 32 == label; k++) {
            nodeById.put(id, (int) sorted[k]);
          }
        });
    return new BaseIndex(folder, h, reader, nodeById, maxLabel[0]);
  }

  public int count() {
    return (int) header.elementCount();
  }

  /** The live element that holds record {@code id}, or -1. */
  public int node(String id) {
    return nodeById.node(id);
  }

  /**
   * As {@link #node}, for a record the base must hold: one without an element is a base whose rows
   * and index disagree.
   */
  public int requireNode(String id) throws CorruptIndexException {
    int node = node(id);
    if (node < 0) {
      throw new CorruptIndexException(
          folder.getFileName().toString(), "record '" + id + "' has no live element in the index");
    }
    return node;
  }

  /** How many records have a live element. */
  public int records() {
    return nodeById.size();
  }
}
