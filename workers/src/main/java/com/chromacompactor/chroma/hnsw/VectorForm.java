package com.chromacompactor.chroma.hnsw;

/**
 * How an index stores its vectors. hnswlib's cosine space is its inner-product space over unit
 * vectors: it stores {@code v / |v|} and keeps {@code |v|} in {@code length.bin}, and {@code get()}
 * multiplies them back ({@link CosineNormalization}). The l2 and ip spaces store the vector as
 * given.
 */
public enum VectorForm {
  /** l2 and ip: the vector as given; {@code length.bin} holds nothing of use. */
  AS_GIVEN,
  /** cosine: the unit vector, with its length in {@code length.bin}. */
  NORMALIZED
}
