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
    void distance4(
        float[] q,
        ByteBuffer b0,
        FloatBuffer f0,
        int at0,
        ByteBuffer b1,
        FloatBuffer f1,
        int at1,
        ByteBuffer b2,
        FloatBuffer f2,
        int at2,
        ByteBuffer b3,
        FloatBuffer f3,
        int at3,
        float[] out) {
      KERNELS.squareDistance4(q, b0, f0, at0, b1, f1, at1, b2, f2, at2, b3, f3, at3, out);
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
    void distance4(
        float[] q,
        ByteBuffer b0,
        FloatBuffer f0,
        int at0,
        ByteBuffer b1,
        FloatBuffer f1,
        int at1,
        ByteBuffer b2,
        FloatBuffer f2,
        int at2,
        ByteBuffer b3,
        FloatBuffer f3,
        int at3,
        float[] out) {
      KERNELS.dot4(q, b0, f0, at0, b1, f1, at1, b2, f2, at2, b3, f3, at3, out);
      out[0] = 1f - out[0];
      out[1] = 1f - out[1];
      out[2] = 1f - out[2];
      out[3] = 1f - out[3];
    }

    @Override
    public float distance(float[] a, float[] b) {
      return 1f - VectorKernels.dot(a, b);
    }
  };

  private static final FloatKernels KERNELS = FloatKernels.INSTANCE;

  /** Distance from {@code q} to a mapped record's vector, through {@link FloatKernels#INSTANCE}. */
  abstract float distance(float[] q, ByteBuffer bytes, FloatBuffer floats, int at);

  /**
   * Four distances at once, into {@code out[0..3]}: each as {@link #distance(float[], ByteBuffer,
   * FloatBuffer, int)}.
   */
  abstract void distance4(
      float[] q,
      ByteBuffer b0,
      FloatBuffer f0,
      int at0,
      ByteBuffer b1,
      FloatBuffer f1,
      int at1,
      ByteBuffer b2,
      FloatBuffer f2,
      int at2,
      ByteBuffer b3,
      FloatBuffer f3,
      int at3,
      float[] out);

  /**
   * Distance from {@code q} to the {@code q.length} floats of {@code b} starting at {@code off}.
   */
  public abstract float distance(float[] q, FloatBuffer b, int off);

  public abstract float distance(float[] a, float[] b);
}
