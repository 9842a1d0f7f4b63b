package com.chromacompactor.hnsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PanamaKernels against the scalar reference, on buffers laid out like Level0Store's: records at an
 * offset, other data right after the vector (so reading past the tail shows), little-endian.
 */
class PanamaKernelsTest {
  static final FloatKernels PANAMA = new PanamaKernels();

  @TempDir Path dir;

  enum Memory {
    MAPPED,
    DIRECT,
    HEAP
  }

  static List<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (int dim : new int[] {1536, 384, 7, 0}) {
      for (Memory memory : Memory.values()) {
        cases.add(Arguments.of(dim, memory));
      }
    }
    return cases;
  }

  static final float OUTSIDE = 10_000f;

  static boolean inRecord(int i, int dim) {
    return (i >= 5 && i < 5 + dim) || (i >= 5 + dim + 11 && i < 5 + 2 * dim + 11);
  }

  /**
   * Two records of {@code dim} floats at float offsets 5 and 5 + dim + 11, filled by {@code value};
   * {@link #OUTSIDE} around them, so a kernel that reads before or past a vector is far off.
   */
  ByteBuffer records(Memory memory, int dim, IntToDoubleFunction value) throws IOException {
    int floats = 5 + 2 * (dim + 11);
    ByteBuffer bytes =
        switch (memory) {
          case MAPPED -> {
            try (FileChannel ch =
                FileChannel.open(
                    dir.resolve("level0-" + dim + ".bin"),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
              yield ch.map(FileChannel.MapMode.READ_WRITE, 0, 4L * floats);
            }
          }
          case DIRECT -> ByteBuffer.allocateDirect(4 * floats);
          case HEAP -> ByteBuffer.allocate(4 * floats);
        };
    bytes.order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < floats; i++) {
      bytes.putFloat(4 * i, inRecord(i, dim) ? (float) value.applyAsDouble(i) : OUTSIDE);
    }
    return bytes;
  }

  static float[] vectorAt(FloatBuffer floats, int at, int dim) {
    float[] v = new float[dim];
    floats.get(at, v);
    return v;
  }

  @ParameterizedTest(name = "dim {0}, {1}")
  @MethodSource("cases")
  void gaussianVectorsAgreeWithTheScalarLoopsWithinFloatRounding(int dim, Memory memory)
      throws IOException {
    Random r = new Random(dim);
    ByteBuffer bytes = records(memory, dim, i -> r.nextGaussian());
    FloatBuffer floats = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] q = HnswBuilderTest.randomVectors(1, dim, dim + 1L)[0];
    for (int at : new int[] {5, 5 + dim + 11}) {
      float[] v = vectorAt(floats, at, dim);
      double magnitude = 0;
      double squares = 0;
      for (int i = 0; i < dim; i++) {
        magnitude += Math.abs(q[i] * v[i]);
        squares += (q[i] - v[i]) * (q[i] - v[i]);
      }
      // Summation in another order: a few ulps of the sum of magnitudes, far below one term.
      assertEquals(
          VectorKernels.dotScalar(q, v),
          PANAMA.dot(q, bytes, floats, at),
          1e-5 * magnitude + 1e-6,
          "dot at " + at);
      assertEquals(
          VectorKernels.squareDistanceScalar(q, v),
          PANAMA.squareDistance(q, bytes, floats, at),
          1e-5 * squares + 1e-6,
          "square distance at " + at);
    }
  }

  @ParameterizedTest(name = "dim {0}, {1}")
  @MethodSource("cases")
  void smallIntegersGiveExactlyTheScalarResult(int dim, Memory memory) throws IOException {
    // Exact sums in any order, so every lane, the vector loops' bounds and the tail are checked to
    // the bit.
    ByteBuffer bytes = records(memory, dim, i -> i % 9 - 4);
    FloatBuffer floats = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] q = new float[dim];
    for (int i = 0; i < dim; i++) {
      q[i] = i % 5 - 2;
    }
    for (int at : new int[] {5, 5 + dim + 11}) {
      float[] v = vectorAt(floats, at, dim);
      assertEquals(VectorKernels.dotScalar(q, v), PANAMA.dot(q, bytes, floats, at), "dot at " + at);
      assertEquals(
          VectorKernels.squareDistanceScalar(q, v),
          PANAMA.squareDistance(q, bytes, floats, at),
          "square distance at " + at);
    }
  }

  @ParameterizedTest(name = "dim {0}, {1}")
  @MethodSource("cases")
  void fourAtOnceEqualOneAtATimeToTheBit(int dim, Memory memory) throws IOException {
    // Gaussian values, so that any change in the order of the sums would show in the last bits. The
    // four vectors lie in two buffers, in an order that differs from their order in memory.
    Random r = new Random(31L * dim + memory.ordinal());
    ByteBuffer first = records(memory, dim, i -> r.nextGaussian());
    ByteBuffer second = records(Memory.DIRECT, dim, i -> r.nextGaussian());
    FloatBuffer firstFloats = first.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    FloatBuffer secondFloats = second.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] q = HnswBuilderTest.randomVectors(1, dim, dim + 7L)[0];
    int near = 5;
    int far = 5 + dim + 11;
    float[] squares = new float[4];
    float[] dots = new float[4];
    PANAMA.squareDistance4(
        q,
        second,
        secondFloats,
        far,
        first,
        firstFloats,
        near,
        first,
        firstFloats,
        far,
        second,
        secondFloats,
        near,
        squares);
    PANAMA.dot4(
        q,
        second,
        secondFloats,
        far,
        first,
        firstFloats,
        near,
        first,
        firstFloats,
        far,
        second,
        secondFloats,
        near,
        dots);
    assertEquals(PANAMA.squareDistance(q, second, secondFloats, far), squares[0]);
    assertEquals(PANAMA.squareDistance(q, first, firstFloats, near), squares[1]);
    assertEquals(PANAMA.squareDistance(q, first, firstFloats, far), squares[2]);
    assertEquals(PANAMA.squareDistance(q, second, secondFloats, near), squares[3]);
    assertEquals(PANAMA.dot(q, second, secondFloats, far), dots[0]);
    assertEquals(PANAMA.dot(q, first, firstFloats, near), dots[1]);
    assertEquals(PANAMA.dot(q, first, firstFloats, far), dots[2]);
    assertEquals(PANAMA.dot(q, second, secondFloats, near), dots[3]);
    if (dim > 0) {
      // and the values are the distances, not four copies of one
      assertEquals(
          VectorKernels.squareDistanceScalar(q, vectorAt(firstFloats, near, dim)),
          squares[1],
          1e-4f * squares[1]);
      assertNotEquals(squares[0], squares[1]);
    }
  }

  /**
   * Codes of two vectors at byte offsets 3 and 3 + padded + 5 of one buffer (unaligned, as a kernel
   * must not assume), with bytes of 77 around them that a kernel reading past a vector's padding
   * would pick up.
   */
  ByteBuffer codeRecords(Memory memory, int dim, byte[][] codes) throws IOException {
    int padded = FloatKernels.codeLength(dim);
    int size = 3 + 2 * (padded + 5) + FloatKernels.CODE_BLOCK;
    ByteBuffer b =
        switch (memory) {
          case MAPPED -> {
            try (FileChannel ch =
                FileChannel.open(
                    dir.resolve("codes-" + dim + ".bin"),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
              yield ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
            }
          }
          case DIRECT -> ByteBuffer.allocateDirect(size);
          case HEAP -> ByteBuffer.allocate(size);
        };
    for (int i = 0; i < size; i++) {
      b.put(i, (byte) 77);
    }
    for (int k = 0; k < 2; k++) {
      int at = 3 + k * (padded + 5);
      for (int i = 0; i < padded; i++) {
        b.put(at + i, i < dim ? codes[k][i] : 0); // padding is zero, as QuantizedVectors leaves it
      }
    }
    return b;
  }

  @ParameterizedTest(name = "dim {0}, {1}")
  @MethodSource("cases")
  void codesGiveTheScalarDotProduct(int dim, Memory memory) throws IOException {
    Random r = new Random(7L * dim + memory.ordinal());
    byte[][] codes = new byte[2][dim];
    r.nextBytes(codes[0]);
    r.nextBytes(codes[1]);
    int padded = FloatKernels.codeLength(dim);
    ByteBuffer b = codeRecords(memory, dim, codes);
    float[] q = HnswBuilderTest.randomVectors(1, dim, dim + 3L)[0];
    int[] at = {3, 3 + padded + 5};
    for (FloatKernels k : new FloatKernels[] {PANAMA, new FloatKernels.Unrolled()}) {
      float[] laidOut = new float[padded];
      k.prepareCodeQuery(q, laidOut);
      float[] four = new float[4];
      k.dotCodes4(laidOut, b, at[1], b, at[0], b, at[0], b, at[1], four);
      for (int v = 0; v < 2; v++) {
        double magnitude = 0;
        for (int i = 0; i < dim; i++) {
          magnitude += Math.abs(q[i] * codes[v][i]);
        }
        float single = k.dotCodes(laidOut, b, at[v]);
        assertEquals(
            VectorKernels.dotCodesScalar(q, codes[v]),
            single,
            1e-5 * magnitude + 1e-6,
            k.name() + " vector " + v);
        // the batch gives each the value it has alone, to the bit
        assertEquals(single, four[v == 0 ? 1 : 0], k.name() + " vector " + v + " in four");
        assertEquals(single, four[v == 0 ? 2 : 3], k.name() + " vector " + v + " in four");
      }
    }
    if (dim > 0) {
      // small integers: exact in any order, so every lane and byte position is checked to the bit
      float[] small = new float[dim];
      for (int i = 0; i < dim; i++) {
        small[i] = i % 5 - 2;
      }
      float[] laidOut = new float[padded];
      PANAMA.prepareCodeQuery(small, laidOut);
      assertEquals(
          VectorKernels.dotCodesScalar(small, codes[0]), PANAMA.dotCodes(laidOut, b, at[0]));
    }
  }
}
