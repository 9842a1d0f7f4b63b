package com.chromacompactor.hnsw;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * The two distances hnswlib computes: {@link #L2} is the squared Euclidean distance, {@link
 * #INNER_PRODUCT} is {@code 1 - dot}. Cosine is {@link #INNER_PRODUCT} over vectors normalised on
 * insert (the caller normalises; the graph never does).
 */
public enum Metric {
  L2 {
    @Override
    public float distance(float[] q, FloatBuffer b, int off) {
      return VectorKernels.squareDistance(q, b, off);
    }

    @Override
    float distance(float[] q, ByteBuffer bytes, FloatBuffer floats, int at) {
      return KERNELS.squareDistance(q, bytes, floats, at);
    }

    @Override
    public float distance(float[] a, float[] b) {
      return VectorKernels.squareDistance(a, b);
    }
  },
  INNER_PRODUCT {
    @Override
    public float distance(float[] q, FloatBuffer b, int off) {
      return 1f - VectorKernels.dot(q, b, off);
    }

    @Override
    float distance(float[] q, ByteBuffer bytes, FloatBuffer floats, int at) {
      return 1f - KERNELS.dot(q, bytes, floats, at);
    }

    @Override
    public float distance(float[] a, float[] b) {
      return 1f - VectorKernels.dot(a, b);
    }
  };

  private static final FloatKernels KERNELS = FloatKernels.INSTANCE;

  /** Distance from {@code q} to a mapped record's vector, through {@link FloatKernels#INSTANCE}. */
  abstract float distance(float[] q, ByteBuffer bytes, FloatBuffer floats, int at);

  /** Distance from {@code q} to the {@code q.length} floats of {@code b} starting at {@code off}. */
  public abstract float distance(float[] q, FloatBuffer b, int off);

  public abstract float distance(float[] a, float[] b);
}
