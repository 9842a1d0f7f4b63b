package com.chromacompactor.hnsw;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * The two reductions every distance is made of, between a query on the heap and a vector in a
 * mapped record ({@code floats} from float index {@code at}, which is byte {@code 4·at} of {@code
 * bytes}: the same memory, for implementations that load lanes from bytes).
 *
 * <p>{@link #INSTANCE} is {@link PanamaKernels} (JDK vector API) when the JVM was started with
 * {@code --add-modules jdk.incubator.vector}, as the launchers do, and {@link VectorKernels}'
 * unrolled loops otherwise. The system property {@value #PROPERTY} forces one: {@code unrolled},
 * {@code panama}, or the name of a class with a public no-argument constructor. Read once: a static
 * final that the JIT folds, so the call inlines.
 */
public interface FloatKernels {
  String PROPERTY = "chromacompactor.hnsw.kernels";

  FloatKernels INSTANCE = Loader.load();

  float dot(float[] q, ByteBuffer bytes, FloatBuffer floats, int at);

  float squareDistance(float[] q, ByteBuffer bytes, FloatBuffer floats, int at);

  /**
   * The dot products of {@code q} with four vectors, as {@link #squareDistance4} gives distances.
   */
  default void dot4(
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
    out[0] = dot(q, b0, f0, at0);
    out[1] = dot(q, b1, f1, at1);
    out[2] = dot(q, b2, f2, at2);
    out[3] = dot(q, b3, f3, at3);
  }

  /**
   * The square distances from {@code q} to four vectors (float index {@code atK} of {@code bK}, a
   * little-endian buffer), into {@code out[0..3]}; each equal to what {@link #squareDistance}
   * gives.
   */
  default void squareDistance4(
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
    out[0] = squareDistance(q, b0, f0, at0);
    out[1] = squareDistance(q, b1, f1, at1);
    out[2] = squareDistance(q, b2, f2, at2);
    out[3] = squareDistance(q, b3, f3, at3);
  }

  /**
   * Bytes of codes that {@link #dotCodes} takes as a unit: vectors' codes are padded to a multiple.
   */
  int CODE_BLOCK = 64;

  /**
   * The bytes of a {@code dimension}-d vector's codes: {@code dimension} rounded up to {@link
   * #CODE_BLOCK}.
   */
  static int codeLength(int dimension) {
    return (dimension + CODE_BLOCK - 1) / CODE_BLOCK * CODE_BLOCK;
  }

  /**
   * Lays out a query ({@code q}, in dimension order) for {@link #dotCodes}: into {@code out}, whose
   * length is {@code q.length} rounded up to {@link #CODE_BLOCK}, zeros after the last dimension.
   * By default in dimension order.
   */
  default void prepareCodeQuery(float[] q, float[] out) {
    System.arraycopy(q, 0, out, 0, q.length);
    Arrays.fill(out, q.length, out.length, 0f);
  }

  /**
   * The dot product of a query laid out by {@link #prepareCodeQuery} with a vector's 8-bit codes
   * ({@link QuantizedVectors}): {@code q.length} signed bytes from byte {@code at} of {@code
   * codes}.
   */
  default float dotCodes(float[] q, ByteBuffer codes, int at) {
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    for (int i = 0; i < q.length; i += 4) {
      s0 += q[i] * codes.get(at + i);
      s1 += q[i + 1] * codes.get(at + i + 1);
      s2 += q[i + 2] * codes.get(at + i + 2);
      s3 += q[i + 3] * codes.get(at + i + 3);
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** Four {@link #dotCodes} at once, into {@code out[0..3]}, so that their memory reads overlap. */
  default void dotCodes4(
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
    out[0] = dotCodes(q, c0, at0);
    out[1] = dotCodes(q, c1, at1);
    out[2] = dotCodes(q, c2, at2);
    out[3] = dotCodes(q, c3, at3);
  }

  /** What runs, for logs and benchmarks: {@code PanamaKernels} or {@code Unrolled}. */
  default String name() {
    return getClass().getSimpleName();
  }

  /** The fallback: {@link VectorKernels}' eight-accumulator loops over the float view. */
  final class Unrolled implements FloatKernels {
    @Override
    public float dot(float[] q, ByteBuffer bytes, FloatBuffer floats, int at) {
      return VectorKernels.dot(q, floats, at);
    }

    @Override
    public float squareDistance(float[] q, ByteBuffer bytes, FloatBuffer floats, int at) {
      return VectorKernels.squareDistance(q, floats, at);
    }
  }

  /** Picks the implementation once. */
  final class Loader {
    static final String VECTOR_MODULE = "jdk.incubator.vector";
    static final String PANAMA = "com.chromacompactor.hnsw.PanamaKernels";

    private Loader() {}

    static FloatKernels load() {
      return load(
          System.getProperty(PROPERTY), ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent());
    }

    /**
     * {@code property} null or blank: PanamaKernels if {@code vectorModule}, else Unrolled (also
     * when PanamaKernels fails its first call, so the automatic choice never stops a run). A forced
     * choice that cannot load or fails its first call is an error instead.
     */
    static FloatKernels load(String property, boolean vectorModule) {
      if (property == null || property.isBlank()) {
        if (!vectorModule) {
          return new Unrolled();
        }
        try {
          return firstCall(instantiate(PANAMA));
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
          LoggerFactory.getLogger(FloatKernels.class)
              .warn(
                  "JDK vector API kernels unusable, using the unrolled loops (about 3.6x slower): {}",
                  e.toString());
          return new Unrolled();
        }
      }
      String name =
          switch (property.strip().toLowerCase(Locale.ROOT)) {
            case "unrolled" -> Unrolled.class.getName();
            case "panama" -> PANAMA;
            default -> property.strip();
          };
      try {
        return firstCall(instantiate(name));
      } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
        throw new IllegalStateException(
            "-D" + PROPERTY + "=" + property + " cannot be loaded: " + e, e);
      }
    }

    // By name, never by a class literal: PanamaKernels links to jdk.incubator.vector, which a JVM
    // without the module cannot resolve.
    private static FloatKernels instantiate(String name) throws ReflectiveOperationException {
      return (FloatKernels) Class.forName(name).getConstructor().newInstance();
    }

    /**
     * One call of each reduction against the scalar loops. Vector API methods link on first use: a
     * class built on JDK 17 fails only then on JDK 19+ (fromByteBuffer is gone), and that must
     * happen here, not in the middle of a build. Small integers make every sum exact in any order.
     */
    static FloatKernels firstCall(FloatKernels k) {
      int n = 1031;
      int at = 3;
      ByteBuffer bytes = ByteBuffer.allocateDirect(4 * (at + n)).order(ByteOrder.LITTLE_ENDIAN);
      FloatBuffer floats = bytes.asFloatBuffer();
      float[] q = new float[n];
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        q[i] = i % 7 - 3;
        v[i] = i % 5 - 2;
        floats.put(at + i, v[i]);
      }
      float dot = k.dot(q, bytes, floats, at);
      float square = k.squareDistance(q, bytes, floats, at);
      if (dot != VectorKernels.dotScalar(q, v)
          || square != VectorKernels.squareDistanceScalar(q, v)) {
        throw new IllegalStateException(
            k.name()
                + " disagrees with the scalar loops: dot "
                + dot
                + " vs "
                + VectorKernels.dotScalar(q, v)
                + ", square distance "
                + square
                + " vs "
                + VectorKernels.squareDistanceScalar(q, v));
      }
      // and the codes' kernel, whose query layout depends on the implementation's lane width
      byte[] codes = new byte[n];
      ByteBuffer codeBytes = ByteBuffer.allocateDirect(at + codeLength(n) + CODE_BLOCK);
      for (int i = 0; i < n; i++) {
        codes[i] = (byte) (i * 37 % 256);
        codeBytes.put(at + i, codes[i]);
      }
      float[] laidOut = new float[codeLength(n)];
      k.prepareCodeQuery(q, laidOut);
      float coded = k.dotCodes(laidOut, codeBytes, at);
      float[] four = new float[4];
      k.dotCodes4(laidOut, codeBytes, at, codeBytes, at, codeBytes, at, codeBytes, at, four);
      float expected = VectorKernels.dotCodesScalar(q, codes);
      if (coded != expected || four[0] != expected || four[3] != expected) {
        throw new IllegalStateException(
            k.name()
                + " disagrees with the scalar loop on 8-bit codes: "
                + coded
                + ", "
                + four[0]
                + " vs "
                + expected);
      }
      return k;
    }
  }
}
