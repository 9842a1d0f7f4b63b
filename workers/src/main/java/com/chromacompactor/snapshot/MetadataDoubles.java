package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.SerdeDoubles;

/**
 * The double Chroma stores for a float metadata value. Chroma never stores the value it is given: it
 * writes it into its queue as serde_json text ({@link SerdeDoubles}) and parses that text back with
 * serde_json's default float parser, which is not exactly rounding: the decimal significand (at most
 * 17 digits from the shortest form, so it fits a u64) is converted to f64 and then multiplied or
 * divided once by an f64 power of ten, with a first division by 1e308 below 1e-308. A snapshot that
 * writes the metadata segment itself must store what that parse gives, or {@code get()} differs from
 * Chroma's own by an ulp.
 */
public final class MetadataDoubles {
  private static final double[] POW10 = new double[309];

  static {
    for (int i = 0; i < POW10.length; i++) {
      POW10[i] = Double.parseDouble("1e" + i);
    }
  }

  private MetadataDoubles() {}

  public static double asChromaStores(double d) {
    return parseLikeSerde(SerdeDoubles.format(d));
  }

  /** serde_json's {@code parse_number} for the forms {@link SerdeDoubles} writes. */
  static double parseLikeSerde(String text) {
    int i = 0;
    boolean negative = text.charAt(0) == '-';
    if (negative) {
      i++;
    }
    long significand = 0;
    int exponent = 0;
    boolean fraction = false;
    boolean overflowed = false;
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '.') {
        fraction = true;
        continue;
      }
      if (c == 'e' || c == 'E') {
        break;
      }
      int digit = c - '0';
      if (overflowed || Long.compareUnsigned(significand, Long.divideUnsigned(-1L - digit, 10)) > 0) {
        overflowed = true; // serde ignores further digits: integer digits still scale, fraction digits do not
        if (!fraction) {
          exponent++;
        }
        continue;
      }
      significand = significand * 10 + digit;
      if (fraction) {
        exponent--;
      }
    }
    if (i < text.length()) {
      exponent += Integer.parseInt(text.substring(i + 1).replace("+", ""));
    }
    double f = unsignedToDouble(significand);
    while (true) {
      int abs = Math.abs(exponent);
      if (abs < POW10.length) {
        if (exponent >= 0) {
          f *= POW10[abs];
        } else {
          f /= POW10[abs];
        }
        break;
      }
      if (f == 0) {
        break;
      }
      if (exponent >= 0) {
        throw new IllegalArgumentException("out of range: " + text);
      }
      f /= 1e308;
      exponent += 308;
    }
    return negative ? -f : f;
  }

  private static double unsignedToDouble(long v) {
    if (v >= 0) {
      return (double) v;
    }
    // above 2^63: halve with the low bit kept sticky, convert, double (correct rounding)
    return ((double) ((v >>> 1) | (v & 1))) * 2.0;
  }
}
