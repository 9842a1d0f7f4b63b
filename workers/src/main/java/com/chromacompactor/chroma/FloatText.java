package com.chromacompactor.chroma;

/**
 * How a release turns float metadata into the double it stores, and how it reads the JSON text of
 * its queue. chromadb 0.x (Python) stores the double it was given and parses JSON exactly; chromadb
 * 1.x writes the value into its queue as serde_json text and stores what serde_json's parser, which
 * is not exactly rounding, makes of that text (0.24285714285714285 becomes 0.24285714285714283).
 */
public enum FloatText {
  /** Python's json: shortest round-trip text, parsed back exactly. */
  PYTHON_JSON,
  /** serde_json: {@link SerdeDoubles#format} text, parsed by {@link SerdeDoubles#parse}. */
  SERDE_JSON;

  /** The double this release stores for an upserted value {@code given}. */
  public double stored(double given) {
    return this == SERDE_JSON ? SerdeDoubles.parse(SerdeDoubles.format(given)) : given;
  }

  /** The double this release reads from the JSON number {@code text} of its queue. */
  public double parse(String text) {
    return this == SERDE_JSON ? SerdeDoubles.parse(text) : Double.parseDouble(text);
  }
}
