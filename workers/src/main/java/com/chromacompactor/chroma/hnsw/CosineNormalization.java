package com.chromacompactor.chroma.hnsw;

/**
 * hnswlib's cosine storage, to the bit: a cosine index stores {@code v / (|v| + 1e-30)} and keeps
 * {@code |v|} in {@code length.bin}; {@code get()} returns the stored vector times that length. The
 * sum of squares is a plain sequential float32 loop (measured against chromadb 1.5.9: a lane-wise,
 * vectorised order does not reproduce it), then {@code sqrtf}, a float reciprocal, and float
 * multiplies.
 */
public final class CosineNormalization {
  private CosineNormalization() {}

  /** The L2 norm exactly as hnswlib's {@code normalize_vector} computes it. */
  public static float length(float[] v) {
    float sum = 0f;
    for (float x : v) {
      sum += x * x;
    }
    // sqrt in double then rounded to float equals a correctly rounded sqrtf for float inputs
    return (float) Math.sqrt(sum);
  }

  /** Writes the unit vector hnswlib stores into {@code dst}, and returns the length it keeps. */
  public static float normalizeInto(float[] v, float[] dst) {
    float length = length(v);
    float inverse = 1.0f / (length + 1e-30f);
    for (int i = 0; i < v.length; i++) {
      dst[i] = v[i] * inverse;
    }
    return length;
  }

  /** What Chroma's {@code get()} returns for a vector that went into a cosine index: in place. */
  public static void roundTrip(float[] v) {
    float length = normalizeInto(v, v);
    for (int i = 0; i < v.length; i++) {
      v[i] = v[i] * length;
    }
  }
}
