package com.chromacompactor.hnsw;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The distance reductions with the JDK 17 vector API (incubating): lanes loaded straight from the
 * mapped record with {@code fromByteBuffer}, fused multiply-add, one lane reduction at the end.
 * About 3.6× the unrolled loops on a 1536-d build (docs/hnsw-benchmarks.md).
 *
 * <p>Needs {@code --add-modules jdk.incubator.vector} at compile and run time (the workers pom and
 * every launcher pass it). {@link FloatKernels.Loader} picks this class by name only when that
 * module is in the boot layer, so a JVM without it never links this class. JDK 17 API: JDK 19
 * replaced fromByteBuffer by fromMemorySegment, which the loader's first call detects.
 */
public final class PanamaKernels implements FloatKernels {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  /**
   * Int lanes of the float lanes' width: a load of codes is taken apart into four float vectors.
   */
  private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;

  @Override
  public float dot(float[] q, ByteBuffer bytes, FloatBuffer floats, int at) {
    FloatVector acc0 = FloatVector.zero(SPECIES);
    FloatVector acc1 = FloatVector.zero(SPECIES);
    FloatVector acc2 = FloatVector.zero(SPECIES);
    FloatVector acc3 = FloatVector.zero(SPECIES);
    int i = 0;
    int base = at * 4;
    int lanes = SPECIES.length();
    for (int bound = q.length - q.length % (4 * lanes); i < bound; i += 4 * lanes) {
      acc0 =
          FloatVector.fromArray(SPECIES, q, i)
              .fma(
                  FloatVector.fromByteBuffer(SPECIES, bytes, base + i * 4, ByteOrder.LITTLE_ENDIAN),
                  acc0);
      acc1 =
          FloatVector.fromArray(SPECIES, q, i + lanes)
              .fma(
                  FloatVector.fromByteBuffer(
                      SPECIES, bytes, base + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN),
                  acc1);
      acc2 =
          FloatVector.fromArray(SPECIES, q, i + 2 * lanes)
              .fma(
                  FloatVector.fromByteBuffer(
                      SPECIES, bytes, base + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN),
                  acc2);
      acc3 =
          FloatVector.fromArray(SPECIES, q, i + 3 * lanes)
              .fma(
                  FloatVector.fromByteBuffer(
                      SPECIES, bytes, base + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN),
                  acc3);
    }
    for (int bound = SPECIES.loopBound(q.length); i < bound; i += lanes) {
      acc0 =
          FloatVector.fromArray(SPECIES, q, i)
              .fma(
                  FloatVector.fromByteBuffer(SPECIES, bytes, base + i * 4, ByteOrder.LITTLE_ENDIAN),
                  acc0);
    }
    float s = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    for (; i < q.length; i++) {
      s += q[i] * floats.get(at + i);
    }
    return s;
  }

  @Override
  public float squareDistance(float[] q, ByteBuffer bytes, FloatBuffer floats, int at) {
    FloatVector acc0 = FloatVector.zero(SPECIES);
    FloatVector acc1 = FloatVector.zero(SPECIES);
    FloatVector acc2 = FloatVector.zero(SPECIES);
    FloatVector acc3 = FloatVector.zero(SPECIES);
    int i = 0;
    int base = at * 4;
    int lanes = SPECIES.length();
    for (int bound = q.length - q.length % (4 * lanes); i < bound; i += 4 * lanes) {
      FloatVector d0 =
          FloatVector.fromArray(SPECIES, q, i)
              .sub(
                  FloatVector.fromByteBuffer(
                      SPECIES, bytes, base + i * 4, ByteOrder.LITTLE_ENDIAN));
      FloatVector d1 =
          FloatVector.fromArray(SPECIES, q, i + lanes)
              .sub(
                  FloatVector.fromByteBuffer(
                      SPECIES, bytes, base + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      FloatVector d2 =
          FloatVector.fromArray(SPECIES, q, i + 2 * lanes)
              .sub(
                  FloatVector.fromByteBuffer(
                      SPECIES, bytes, base + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      FloatVector d3 =
          FloatVector.fromArray(SPECIES, q, i + 3 * lanes)
              .sub(
                  FloatVector.fromByteBuffer(
                      SPECIES, bytes, base + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      acc0 = d0.fma(d0, acc0);
      acc1 = d1.fma(d1, acc1);
      acc2 = d2.fma(d2, acc2);
      acc3 = d3.fma(d3, acc3);
    }
    for (int bound = SPECIES.loopBound(q.length); i < bound; i += lanes) {
      FloatVector d =
          FloatVector.fromArray(SPECIES, q, i)
              .sub(
                  FloatVector.fromByteBuffer(
                      SPECIES, bytes, base + i * 4, ByteOrder.LITTLE_ENDIAN));
      acc0 = d.fma(d, acc0);
    }
    float s = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    for (; i < q.length; i++) {
      float d = q[i] - floats.get(at + i);
      s += d * d;
    }
    return s;
  }

  /**
   * Four square distances in one pass: the four vectors stream from memory side by side, so four
   * cache-miss sequences overlap where one distance after another would wait for each in turn. Each
   * candidate is summed exactly as {@link #squareDistance} sums it (the same accumulators, the same
   * reduction), so a distance does not depend on the batch it came in.
   */
  @Override
  public void squareDistance4(
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
    FloatVector a00 = FloatVector.zero(SPECIES);
    FloatVector a01 = FloatVector.zero(SPECIES);
    FloatVector a02 = FloatVector.zero(SPECIES);
    FloatVector a03 = FloatVector.zero(SPECIES);
    FloatVector a10 = FloatVector.zero(SPECIES);
    FloatVector a11 = FloatVector.zero(SPECIES);
    FloatVector a12 = FloatVector.zero(SPECIES);
    FloatVector a13 = FloatVector.zero(SPECIES);
    FloatVector a20 = FloatVector.zero(SPECIES);
    FloatVector a21 = FloatVector.zero(SPECIES);
    FloatVector a22 = FloatVector.zero(SPECIES);
    FloatVector a23 = FloatVector.zero(SPECIES);
    FloatVector a30 = FloatVector.zero(SPECIES);
    FloatVector a31 = FloatVector.zero(SPECIES);
    FloatVector a32 = FloatVector.zero(SPECIES);
    FloatVector a33 = FloatVector.zero(SPECIES);
    int i = 0;
    int lanes = SPECIES.length();
    int o0 = at0 * 4;
    int o1 = at1 * 4;
    int o2 = at2 * 4;
    int o3 = at3 * 4;
    for (int bound = q.length - q.length % (4 * lanes); i < bound; i += 4 * lanes) {
      FloatVector q0 = FloatVector.fromArray(SPECIES, q, i);
      FloatVector q1 = FloatVector.fromArray(SPECIES, q, i + lanes);
      FloatVector q2 = FloatVector.fromArray(SPECIES, q, i + 2 * lanes);
      FloatVector q3 = FloatVector.fromArray(SPECIES, q, i + 3 * lanes);
      FloatVector d00 =
          q0.sub(FloatVector.fromByteBuffer(SPECIES, b0, o0 + i * 4, ByteOrder.LITTLE_ENDIAN));
      a00 = d00.fma(d00, a00);
      FloatVector d10 =
          q0.sub(FloatVector.fromByteBuffer(SPECIES, b1, o1 + i * 4, ByteOrder.LITTLE_ENDIAN));
      a10 = d10.fma(d10, a10);
      FloatVector d20 =
          q0.sub(FloatVector.fromByteBuffer(SPECIES, b2, o2 + i * 4, ByteOrder.LITTLE_ENDIAN));
      a20 = d20.fma(d20, a20);
      FloatVector d30 =
          q0.sub(FloatVector.fromByteBuffer(SPECIES, b3, o3 + i * 4, ByteOrder.LITTLE_ENDIAN));
      a30 = d30.fma(d30, a30);
      FloatVector d01 =
          q1.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b0, o0 + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a01 = d01.fma(d01, a01);
      FloatVector d11 =
          q1.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b1, o1 + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a11 = d11.fma(d11, a11);
      FloatVector d21 =
          q1.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b2, o2 + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a21 = d21.fma(d21, a21);
      FloatVector d31 =
          q1.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b3, o3 + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a31 = d31.fma(d31, a31);
      FloatVector d02 =
          q2.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b0, o0 + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a02 = d02.fma(d02, a02);
      FloatVector d12 =
          q2.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b1, o1 + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a12 = d12.fma(d12, a12);
      FloatVector d22 =
          q2.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b2, o2 + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a22 = d22.fma(d22, a22);
      FloatVector d32 =
          q2.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b3, o3 + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a32 = d32.fma(d32, a32);
      FloatVector d03 =
          q3.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b0, o0 + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a03 = d03.fma(d03, a03);
      FloatVector d13 =
          q3.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b1, o1 + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a13 = d13.fma(d13, a13);
      FloatVector d23 =
          q3.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b2, o2 + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a23 = d23.fma(d23, a23);
      FloatVector d33 =
          q3.sub(
              FloatVector.fromByteBuffer(
                  SPECIES, b3, o3 + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      a33 = d33.fma(d33, a33);
    }
    for (int bound = SPECIES.loopBound(q.length); i < bound; i += lanes) {
      FloatVector qi = FloatVector.fromArray(SPECIES, q, i);
      FloatVector e0 =
          qi.sub(FloatVector.fromByteBuffer(SPECIES, b0, o0 + i * 4, ByteOrder.LITTLE_ENDIAN));
      a00 = e0.fma(e0, a00);
      FloatVector e1 =
          qi.sub(FloatVector.fromByteBuffer(SPECIES, b1, o1 + i * 4, ByteOrder.LITTLE_ENDIAN));
      a10 = e1.fma(e1, a10);
      FloatVector e2 =
          qi.sub(FloatVector.fromByteBuffer(SPECIES, b2, o2 + i * 4, ByteOrder.LITTLE_ENDIAN));
      a20 = e2.fma(e2, a20);
      FloatVector e3 =
          qi.sub(FloatVector.fromByteBuffer(SPECIES, b3, o3 + i * 4, ByteOrder.LITTLE_ENDIAN));
      a30 = e3.fma(e3, a30);
    }
    float s0 = a00.add(a01).add(a02.add(a03)).reduceLanes(VectorOperators.ADD);
    float s1 = a10.add(a11).add(a12.add(a13)).reduceLanes(VectorOperators.ADD);
    float s2 = a20.add(a21).add(a22.add(a23)).reduceLanes(VectorOperators.ADD);
    float s3 = a30.add(a31).add(a32.add(a33)).reduceLanes(VectorOperators.ADD);
    for (; i < q.length; i++) {
      float t0 = q[i] - f0.get(at0 + i);
      s0 += t0 * t0;
      float t1 = q[i] - f1.get(at1 + i);
      s1 += t1 * t1;
      float t2 = q[i] - f2.get(at2 + i);
      s2 += t2 * t2;
      float t3 = q[i] - f3.get(at3 + i);
      s3 += t3 * t3;
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
  }

  /**
   * Four dot products in one pass, each summed exactly as {@link #dot} sums it (see {@link
   * #squareDistance4}).
   */
  @Override
  public void dot4(
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
    FloatVector a00 = FloatVector.zero(SPECIES);
    FloatVector a01 = FloatVector.zero(SPECIES);
    FloatVector a02 = FloatVector.zero(SPECIES);
    FloatVector a03 = FloatVector.zero(SPECIES);
    FloatVector a10 = FloatVector.zero(SPECIES);
    FloatVector a11 = FloatVector.zero(SPECIES);
    FloatVector a12 = FloatVector.zero(SPECIES);
    FloatVector a13 = FloatVector.zero(SPECIES);
    FloatVector a20 = FloatVector.zero(SPECIES);
    FloatVector a21 = FloatVector.zero(SPECIES);
    FloatVector a22 = FloatVector.zero(SPECIES);
    FloatVector a23 = FloatVector.zero(SPECIES);
    FloatVector a30 = FloatVector.zero(SPECIES);
    FloatVector a31 = FloatVector.zero(SPECIES);
    FloatVector a32 = FloatVector.zero(SPECIES);
    FloatVector a33 = FloatVector.zero(SPECIES);
    int i = 0;
    int lanes = SPECIES.length();
    int o0 = at0 * 4;
    int o1 = at1 * 4;
    int o2 = at2 * 4;
    int o3 = at3 * 4;
    for (int bound = q.length - q.length % (4 * lanes); i < bound; i += 4 * lanes) {
      FloatVector q0 = FloatVector.fromArray(SPECIES, q, i);
      FloatVector q1 = FloatVector.fromArray(SPECIES, q, i + lanes);
      FloatVector q2 = FloatVector.fromArray(SPECIES, q, i + 2 * lanes);
      FloatVector q3 = FloatVector.fromArray(SPECIES, q, i + 3 * lanes);
      a00 =
          q0.fma(FloatVector.fromByteBuffer(SPECIES, b0, o0 + i * 4, ByteOrder.LITTLE_ENDIAN), a00);
      a10 =
          q0.fma(FloatVector.fromByteBuffer(SPECIES, b1, o1 + i * 4, ByteOrder.LITTLE_ENDIAN), a10);
      a20 =
          q0.fma(FloatVector.fromByteBuffer(SPECIES, b2, o2 + i * 4, ByteOrder.LITTLE_ENDIAN), a20);
      a30 =
          q0.fma(FloatVector.fromByteBuffer(SPECIES, b3, o3 + i * 4, ByteOrder.LITTLE_ENDIAN), a30);
      a01 =
          q1.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b0, o0 + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a01);
      a11 =
          q1.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b1, o1 + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a11);
      a21 =
          q1.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b2, o2 + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a21);
      a31 =
          q1.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b3, o3 + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a31);
      a02 =
          q2.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b0, o0 + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a02);
      a12 =
          q2.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b1, o1 + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a12);
      a22 =
          q2.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b2, o2 + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a22);
      a32 =
          q2.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b3, o3 + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a32);
      a03 =
          q3.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b0, o0 + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a03);
      a13 =
          q3.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b1, o1 + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a13);
      a23 =
          q3.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b2, o2 + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a23);
      a33 =
          q3.fma(
              FloatVector.fromByteBuffer(
                  SPECIES, b3, o3 + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN),
              a33);
    }
    for (int bound = SPECIES.loopBound(q.length); i < bound; i += lanes) {
      FloatVector qi = FloatVector.fromArray(SPECIES, q, i);
      a00 =
          qi.fma(FloatVector.fromByteBuffer(SPECIES, b0, o0 + i * 4, ByteOrder.LITTLE_ENDIAN), a00);
      a10 =
          qi.fma(FloatVector.fromByteBuffer(SPECIES, b1, o1 + i * 4, ByteOrder.LITTLE_ENDIAN), a10);
      a20 =
          qi.fma(FloatVector.fromByteBuffer(SPECIES, b2, o2 + i * 4, ByteOrder.LITTLE_ENDIAN), a20);
      a30 =
          qi.fma(FloatVector.fromByteBuffer(SPECIES, b3, o3 + i * 4, ByteOrder.LITTLE_ENDIAN), a30);
    }
    float s0 = a00.add(a01).add(a02.add(a03)).reduceLanes(VectorOperators.ADD);
    float s1 = a10.add(a11).add(a12.add(a13)).reduceLanes(VectorOperators.ADD);
    float s2 = a20.add(a21).add(a22.add(a23)).reduceLanes(VectorOperators.ADD);
    float s3 = a30.add(a31).add(a32.add(a33)).reduceLanes(VectorOperators.ADD);
    for (; i < q.length; i++) {
      s0 += q[i] * f0.get(at0 + i);
      s1 += q[i] * f1.get(at1 + i);
      s2 += q[i] * f2.get(at2 + i);
      s3 += q[i] * f3.get(at3 + i);
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
  }

  /**
   * The query in the order {@link #dotCodes} reads the codes: each 64-byte block of codes is loaded
   * as 16 int lanes, and byte {@code b} of lane {@code k} (dimension {@code 4k + b} of the block)
   * is taken out of every lane at once by two shifts, so the query's dimensions go to {@code 16b +
   * k}.
   */
  @Override
  public void prepareCodeQuery(float[] q, float[] out) {
    for (int block = 0; block < out.length; block += CODE_BLOCK) {
      for (int k = 0; k < 16; k++) {
        for (int b = 0; b < 4; b++) {
          int d = block + 4 * k + b;
          out[block + 16 * b + k] = d < q.length ? q[d] : 0f;
        }
      }
    }
  }

  /**
   * {@code Σ q·codes} over the blocks of {@code q} (a query from {@link #prepareCodeQuery}): the
   * codes are loaded as int lanes, each byte sign-extended in place by a left and an arithmetic
   * right shift and converted to float. (Widening the bytes with the vector API's B2F conversion
   * instead, one 16-byte load per 16 floats, took half as long again.) Summed exactly as {@link
   * #dotCodes4} sums each of its four, so a distance does not depend on the batch it came in.
   */
  @Override
  public float dotCodes(float[] q, ByteBuffer c, int at) {
    FloatVector a = FloatVector.zero(SPECIES);
    int lanes = INTS.length();
    for (int block = 0; block < q.length; block += CODE_BLOCK) {
      for (int h = 0; h < 16; h += lanes) {
        int qa = block + h;
        IntVector v =
            IntVector.fromByteBuffer(INTS, c, at + block + 4 * h, ByteOrder.LITTLE_ENDIAN);
        a =
            FloatVector.fromArray(SPECIES, q, qa)
                .fma(
                    (FloatVector)
                        v.lanewise(VectorOperators.LSHL, 24)
                            .lanewise(VectorOperators.ASHR, 24)
                            .convert(VectorOperators.I2F, 0),
                    a);
        a =
            FloatVector.fromArray(SPECIES, q, qa + 16)
                .fma(
                    (FloatVector)
                        v.lanewise(VectorOperators.LSHL, 16)
                            .lanewise(VectorOperators.ASHR, 24)
                            .convert(VectorOperators.I2F, 0),
                    a);
        a =
            FloatVector.fromArray(SPECIES, q, qa + 32)
                .fma(
                    (FloatVector)
                        v.lanewise(VectorOperators.LSHL, 8)
                            .lanewise(VectorOperators.ASHR, 24)
                            .convert(VectorOperators.I2F, 0),
                    a);
        a =
            FloatVector.fromArray(SPECIES, q, qa + 48)
                .fma(
                    (FloatVector)
                        v.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0),
                    a);
      }
    }
    return a.reduceLanes(VectorOperators.ADD);
  }

  /**
   * Four {@link #dotCodes} in one pass over the query, the four code streams side by side. Written
   * out flat: with the byte extraction in helper methods, C2 left the vectors boxed and the kernel
   * ran four times slower.
   */
  @Override
  public void dotCodes4(
      float[] q,
      ByteBuffer c0,
      int at0,
      ByteBuffer c1,
      int at1,
      ByteBuffer c2,
      int at2,
      ByteBuffer c3,
      int at3,
      float[] out) {
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = FloatVector.zero(SPECIES);
    FloatVector a2 = FloatVector.zero(SPECIES);
    FloatVector a3 = FloatVector.zero(SPECIES);
    int lanes = INTS.length();
    for (int block = 0; block < q.length; block += CODE_BLOCK) {
      for (int h = 0; h < 16; h += lanes) {
        int qa = block + h;
        int off = block + 4 * h;
        FloatVector q0 = FloatVector.fromArray(SPECIES, q, qa);
        FloatVector q1 = FloatVector.fromArray(SPECIES, q, qa + 16);
        FloatVector q2 = FloatVector.fromArray(SPECIES, q, qa + 32);
        FloatVector q3 = FloatVector.fromArray(SPECIES, q, qa + 48);
        IntVector v = IntVector.fromByteBuffer(INTS, c0, at0 + off, ByteOrder.LITTLE_ENDIAN);
        a0 =
            q0.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 24)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a0);
        a0 =
            q1.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 16)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a0);
        a0 =
            q2.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 8)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a0);
        a0 =
            q3.fma(
                (FloatVector) v.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0),
                a0);
        v = IntVector.fromByteBuffer(INTS, c1, at1 + off, ByteOrder.LITTLE_ENDIAN);
        a1 =
            q0.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 24)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a1);
        a1 =
            q1.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 16)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a1);
        a1 =
            q2.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 8)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a1);
        a1 =
            q3.fma(
                (FloatVector) v.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0),
                a1);
        v = IntVector.fromByteBuffer(INTS, c2, at2 + off, ByteOrder.LITTLE_ENDIAN);
        a2 =
            q0.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 24)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a2);
        a2 =
            q1.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 16)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a2);
        a2 =
            q2.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 8)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a2);
        a2 =
            q3.fma(
                (FloatVector) v.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0),
                a2);
        v = IntVector.fromByteBuffer(INTS, c3, at3 + off, ByteOrder.LITTLE_ENDIAN);
        a3 =
            q0.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 24)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a3);
        a3 =
            q1.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 16)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a3);
        a3 =
            q2.fma(
                (FloatVector)
                    v.lanewise(VectorOperators.LSHL, 8)
                        .lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0),
                a3);
        a3 =
            q3.fma(
                (FloatVector) v.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0),
                a3);
      }
    }
    out[0] = a0.reduceLanes(VectorOperators.ADD);
    out[1] = a1.reduceLanes(VectorOperators.ADD);
    out[2] = a2.reduceLanes(VectorOperators.ADD);
    out[3] = a3.reduceLanes(VectorOperators.ADD);
  }
}
