package com.chromacompactor.hnsw;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * The two reductions every distance is made of, between a query on the heap and a vector in a mapped
 * record ({@code floats} from float index {@code at}, which is byte {@code 4·at} of {@code bytes}: the
 * same memory, for implementations that load lanes from bytes).
 *
 * <p>{@link #INSTANCE} is {@link VectorKernels}' unrolled loops unless the system property {@value
 * #PROPERTY} names another implementation with a public no-argument constructor, such as a JDK vector
 * API one (which needs {@code --add-modules jdk.incubator.vector}, so it is not compiled here; see
 * docs/hnsw-benchmarks.md). Read once: a static final that the JIT folds, so the call inlines.
 */
public interface FloatKernels {
  String PROPERTY = "chromacompactor.hnsw.kernels";

  FloatKernels INSTANCE = Loader.load();

  float dot(float[] q, ByteBuffer bytes, FloatBuffer floats, int at);

  float squareDistance(float[] q, ByteBuffer bytes, FloatBuffer floats, int at);

  /** The default: {@link VectorKernels}' eight-accumulator loops over the float view. */
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
    private Loader() {}

    static FloatKernels load() {
      String name = System.getProperty(PROPERTY);
      if (name == null || name.isBlank()) {
        return new Unrolled();
      }
      try {
        return (FloatKernels) Class.forName(name).getConstructor().newInstance();
      } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
        throw new IllegalStateException("-D" + PROPERTY + "=" + name + " cannot be loaded: " + e, e);
      }
    }
  }
}
