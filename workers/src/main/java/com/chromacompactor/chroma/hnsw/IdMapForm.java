package com.chromacompactor.chroma.hnsw;

/**
 * The two forms of {@code index_metadata.pickle} that Chroma releases write
 * (docs/chroma-format.md).
 */
public enum IdMapForm {
  /**
   * chromadb 0.4-0.6 (Python): a pickled {@code PersistentData} instance whose state holds {@code
   * dimensionality}, {@code total_elements_added}, {@code max_seq_id}, {@code id_to_label}, {@code
   * label_to_id} and {@code id_to_seq_id}. Python's {@code pickle.load} builds the class, so the id
   * to sequence number map must name every id (a later delete removes its entry).
   */
  PERSISTENT_DATA,
  /**
   * chromadb 1.x (Rust, serde_pickle, protocol 3): a plain dict with the same keys, {@code
   * dimensionality} and {@code max_seq_id} None and an empty {@code id_to_seq_id}.
   */
  DICT
}
