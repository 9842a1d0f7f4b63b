package com.chromacompactor.chroma;

import com.fasterxml.jackson.core.io.NumberOutput;
import java.math.BigDecimal;

/**
 * Doubles as serde_json writes and reads them in Chroma 1.x's queue rows. Formats a double as
 * serde_json writes it: the shortest round-trip digits (ryu), laid out as {@code 12.34}, {@code
 * 0.000015}, {@code 1e-7}, {@code 1.5e+300} or {@code 3.0}.
 *
 * <p>The layout matters, not only the digits: Chroma parses the queue with serde_json's default
 * (not exactly rounding) float parser, which can read {@code 1e-298} and {@code 1.0E-298} as two
 * different doubles. Writing Chroma's own text makes Chroma read back the double it would have read
 * from its own rows.
 */
public final class SerdeDoubles {
  private static final double[] POW10 = new double[309];

  static {
    for (int i = 0; i < POW10.length; i++) {
      POW10[i] = Double.parseDouble("1e" + i);
    }
  }

  private SerdeDoubles() {}

  public static String format(double d) {
    if (!Double.isFinite(d)) {
      throw new IllegalArgumentException("JSON has no form for " + d);
    }
    if (d == 0) {
      return (Double.doubleToRawLongBits(d) < 0 ? "-" : "") + "0.0";
    }
    StringBuilder out = new StringBuilder(26);
    if (d < 0) {
      out.append('-');
      d = -d;
    }
    // Shortest digits from Jackson's Schubfach writer, in Java's layout ("1.0E-298", "0.001",
    // "12.5").
    String java = NumberOutput.toString(d, true);
    int e = java.indexOf('E');
    String mantissa = e < 0 ? java : java.substring(0, e);
    int exponent = e < 0 ? 0 : Integer.parseInt(java.substring(e + 1));
    int dot = mantissa.indexOf('.');
    String intPart = dot < 0 ? mantissa : mantissa.substring(0, dot);
    String fracPart = dot < 0 ? "" : mantissa.substring(dot + 1);
    // value = digits x 10^k, with digits free of leading and trailing zeros
    String digits = intPart + fracPart;
    int k = exponent - fracPart.length();
    int lead = 0;
    while (lead < digits.length() - 1 && digits.charAt(lead) == '0') {
      lead++;
    }
    int end = digits.length();
    while (end > lead + 1 && digits.charAt(end - 1) == '0') {
      end--;
      k++;
    }
    digits = digits.substring(lead, end);
    if (digits.length() == 2) {
      // Java prints two digits where one would do (4.9E-324); ryu prints the shortest (5e-324).
      String one = oneDigit(d, digits, k);
      if (one != null) {
        digits = one.substring(0, 1);
        k = Integer.parseInt(one.substring(1));
      }
    }
    int length = digits.length();
    int kk = length + k; // 10^(kk-1) <= value < 10^kk
    if (k >= 0 && kk <= 16) {
      out.append(digits).append("0".repeat(k)).append(".0");
    } else if (kk > 0 && kk <= 16) {
      out.append(digits, 0, kk).append('.').append(digits, kk, length);
    } else if (kk > -5 && kk <= 0) {
      out.append("0.").append("0".repeat(-kk)).append(digits);
    } else {
      out.append(digits.charAt(0));
      if (length > 1) {
        out.append('.').append(digits, 1, length);
      }
      // this serde_json writes a sign on positive exponents too ("1e+21"), unlike plain ryu
      out.append(kk - 1 > 0 ? "e+" : "e").append(kk - 1);
    }
    return out.toString();
  }

  /**
   * The one-digit decimal ("d" + exponent) that reads back as {@code d}, the closest if two do, or
   * null. {@code twoDigits} x 10^k is Java's two-digit form of {@code d}.
   */
  private static String oneDigit(double d, String twoDigits, int k) {
    int low = twoDigits.charAt(0) - '0';
    BigDecimal exact = new BigDecimal(d);
    String best = null;
    BigDecimal bestError = null;
    for (int digit : new int[] {low, low + 1}) {
      int exponent = k + 1;
      int shown = digit;
      if (digit == 10) {
        shown = 1;
        exponent++;
      }
      if (shown == 0 || Double.parseDouble(shown + "E" + exponent) != d) {
        continue;
      }
      BigDecimal error = new BigDecimal(shown).scaleByPowerOfTen(exponent).subtract(exact).abs();
      if (bestError == null || error.compareTo(bestError) < 0) {
        best = shown + "" + exponent;
        bestError = error;
      }
    }
    return best;
  }

  /**
   * What serde_json's default {@code parse_number} makes of a JSON number with a fraction or
   * exponent: the decimal significand (digits past 19 ignored) as an f64, then one multiplication
   * or division by an f64 power of ten, with a first division by 1e308 below 1e-308. Not exactly
   * rounding: Chroma 1.x stores this, not the double its client sent.
   */
  public static double parse(String text) {
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
      if (overflowed
          || Long.compareUnsigned(significand, Long.divideUnsigned(-1L - digit, 10)) > 0) {
        overflowed =
            true; // serde ignores further digits: integer digits still scale, fraction digits do
        // not
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
