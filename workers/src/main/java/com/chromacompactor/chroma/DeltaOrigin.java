package com.chromacompactor.chroma;

/**
 * Who wrote a directory, which decides how its queue vectors are read.
 *
 * <p>Chroma answers {@code get()} from its index, where a cosine vector is stored normalised; a
 * producer's delta is therefore read as Chroma would return it. A compactor output (intermediate or
 * snapshot) holds in its queue exactly those returned vectors already: reading it the same way
 * again would normalise twice, one float rounding step away from what a chromadb that upserted the
 * original deltas holds.
 */
public enum DeltaOrigin {
  /** Written by Chroma for a producer: vectors as Chroma's get() returns them. */
  PRODUCER,
  /** Written by this compactor: queue vectors as stored. */
  COMPACTOR
}
