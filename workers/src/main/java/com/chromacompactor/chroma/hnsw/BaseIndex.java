package com.chromacompactor.chroma.hnsw;

import com.chromacompactor.hnsw.HnswParams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

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
    Map<String, Integer> nodeById,
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
    Map<Long, String> labelToId =
        IdLabelMap.read(folder.resolve(HnswSegmentFormat.PICKLE)).labelToId();
    // The map is kept by id alone: the writer asks which element holds a record, never the reverse,
    // and
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
        nodeById.put(
            id,
            i); // two live elements with one id: the later one, as hnswlib's label lookup has it
      }
    }
    return new BaseIndex(folder, h, reader, nodeById, maxLabel);
  }

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
