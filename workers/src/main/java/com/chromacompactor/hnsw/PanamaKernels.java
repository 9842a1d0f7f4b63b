package com.chromacompactor.hnsw;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The distance reductions with the JDK 17 vector API (incubating): lanes loaded straight from the
 * mapped record with {@code fromByteBuffer}, fused multiply-add, one lane reduction at the end.
 * About 2.4× the unrolled loops on a 1536-d build (docs/hnsw-benchmarks.md).
 *
 * <p>Needs {@code --add-modules jdk.incubator.vector} at compile and run time (the workers pom and every
 * launcher pass it). {@link FloatKernels.Loader} picks this class by name only when that module is in
 * the boot layer, so a JVM without it never links this class. JDK 17 API: JDK 19 replaced
 * fromByteBuffer by fromMemorySegment, which the loader's first call detects.
 */
public final class PanamaKernels implements FloatKernels {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

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
      acc0 = FloatVector.fromArray(SPECIES, q, i)
          .fma(FloatVector.fromByteBuffer(SPECIES, bytes, base + i * 4, ByteOrder.LITTLE_ENDIAN), acc0);
      acc1 = FloatVector.fromArray(SPECIES, q, i + lanes)
          .fma(FloatVector.fromByteBuffer(SPECIES, bytes, base + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN), acc1);
      acc2 = FloatVector.fromArray(SPECIES, q, i + 2 * lanes)
          .fma(FloatVector.fromByteBuffer(SPECIES, bytes, base + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN), acc2);
      acc3 = FloatVector.fromArray(SPECIES, q, i + 3 * lanes)
          .fma(FloatVector.fromByteBuffer(SPECIES, bytes, base + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN), acc3);
    }
    for (int bound = SPECIES.loopBound(q.length); i < bound; i += lanes) {
      acc0 = FloatVector.fromArray(SPECIES, q, i)
          .fma(FloatVector.fromByteBuffer(SPECIES, bytes, base + i * 4, ByteOrder.LITTLE_ENDIAN), acc0);
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
      FloatVector d0 = FloatVector.fromArray(SPECIES, q, i)
          .sub(FloatVector.fromByteBuffer(SPECIES, bytes, base + i * 4, ByteOrder.LITTLE_ENDIAN));
      FloatVector d1 = FloatVector.fromArray(SPECIES, q, i + lanes)
          .sub(FloatVector.fromByteBuffer(SPECIES, bytes, base + (i + lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      FloatVector d2 = FloatVector.fromArray(SPECIES, q, i + 2 * lanes)
          .sub(FloatVector.fromByteBuffer(SPECIES, bytes, base + (i + 2 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      FloatVector d3 = FloatVector.fromArray(SPECIES, q, i + 3 * lanes)
          .sub(FloatVector.fromByteBuffer(SPECIES, bytes, base + (i + 3 * lanes) * 4, ByteOrder.LITTLE_ENDIAN));
      acc0 = d0.fma(d0, acc0);
      acc1 = d1.fma(d1, acc1);
      acc2 = d2.fma(d2, acc2);
      acc3 = d3.fma(d3, acc3);
    }
    for (int bound = SPECIES.loopBound(q.length); i < bound; i += lanes) {
      FloatVector d = FloatVector.fromArray(SPECIES, q, i)
          .sub(FloatVector.fromByteBuffer(SPECIES, bytes, base + i * 4, ByteOrder.LITTLE_ENDIAN));
      acc0 = d.fma(d, acc0);
    }
    float s = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    for (; i < q.length; i++) {
      float d = q[i] - floats.get(at + i);
      s += d * d;
    }
    return s;
  }
}
