package com.chromacompactor.workflow;

import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.PlannedChunk;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cuts the pending deltas into chunks: per collection, consecutive deltas in merge order, as many
 * per chunk as the collection's configured size allows ({@link ChunkSizes}). Pure: all I/O happens
 * in {@link PlanStep}.
 *
 * <p>Chunks of one collection keep the deltas' order and get increasing indexes, so merging the
 * intermediates in index order merges every collection's deltas in order; chunks of different
 * collections never touch the same records.
 */
public final class Planner {
  /** What planning needs to know of one delta: its key and its records per collection. */
  public record DeltaCensus(String key, Map<String, Long> recordsByCollection) {
    public DeltaCensus {
      recordsByCollection = new TreeMap<>(recordsByCollection);
    }
  }

  private Planner() {}

  /** The chunks for deltas given in merge order. */
  public static List<PlannedChunk> plan(List<DeltaCensus> deltas, ChunkSizes sizes) {
    Map<String, List<DeltaCensus>> byCollection = new TreeMap<>();
    for (DeltaCensus d : deltas) {
      for (String collection : d.recordsByCollection().keySet()) {
        byCollection.computeIfAbsent(collection, k -> new ArrayList<>()).add(d);
      }
    }
    List<PlannedChunk> chunks = new ArrayList<>();
    for (Map.Entry<String, List<DeltaCensus>> e : byCollection.entrySet()) {
      String collection = e.getKey();
      int size = sizes.of(collection);
      List<DeltaCensus> list = e.getValue();
      for (int from = 0; from < list.size(); from += size) {
        List<DeltaCensus> slice = list.subList(from, Math.min(list.size(), from + size));
        long embeddings =
            slice.stream().mapToLong(d -> d.recordsByCollection().get(collection)).sum();
        chunks.add(
            new PlannedChunk(
                chunks.size(),
                collection,
                size,
                slice.stream().map(DeltaCensus::key).toList(),
                embeddings));
      }
    }
    return chunks;
  }

  /** Total embeddings over the chunks, the figure the workflow's Choice compares. */
  public static long totalEmbeddings(List<PlannedChunk> chunks) {
    return chunks.stream().mapToLong(PlannedChunk::embeddings).sum();
  }

  /** Delta keys of the plan, each once, in the order first met. */
  public static List<String> deltaKeys(List<PlannedChunk> chunks) {
    Map<String, Boolean> keys = new LinkedHashMap<>();
    chunks.forEach(c -> c.deltaKeys().forEach(k -> keys.put(k, true)));
    return List.copyOf(keys.keySet());
  }
}
