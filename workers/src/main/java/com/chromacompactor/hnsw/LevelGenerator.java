package com.chromacompactor.hnsw;

/**
 * Levels drawn as hnswlib draws them: {@code std::default_random_engine} (libstdc++'s {@code
 * minstd_rand0}: x = 16807·x mod 2³¹−1) seeded like hnswlib, a {@code
 * uniform_real_distribution<double>(0, 1)} made by libstdc++'s {@code generate_canonical} from two
 * draws, and {@code (int) (-ln(u)·mult)}. Not thread-safe: a build draws every level up front, in
 * insertion order.
 */
public final class LevelGenerator {
  private static final long MODULUS = 2147483647L;
  private static final double RANGE = 2147483646.0; // max - min + 1 of minstd_rand0
  private static final double RANGE_SQUARED = RANGE * RANGE;

  private final double multiplier;
  private long state;

  public LevelGenerator(long seed, double multiplier) {
    this.multiplier = multiplier;
    long s = Math.floorMod(seed, MODULUS);
    this.state = s == 0 ? 1 : s;
  }

  private long next() {
    state = state * 16807L % MODULUS;
    return state;
  }

  /** One {@code uniform_real_distribution<double>(0, 1)} draw, as libstdc++ makes it. */
  double nextUniform() {
    double sum = next() - 1;
    sum += (double) (next() - 1) * RANGE;
    double u = sum / RANGE_SQUARED;
    return u >= 1.0 ? Math.nextDown(1.0) : u;
  }

  public int nextLevel() {
    return (int) (-Math.log(nextUniform()) * multiplier);
  }
}
