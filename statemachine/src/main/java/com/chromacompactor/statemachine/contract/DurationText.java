package com.chromacompactor.statemachine.contract;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as the CLI options, the worker's environment and the CDK context write them: a whole
 * number and one unit, {@code s}, {@code m}, {@code h} or {@code d}: {@code 0s}, {@code 30m},
 * {@code 24h}, {@code 7d}.
 */
public final class DurationText {
  private static final Pattern TEXT = Pattern.compile("(\\d{1,9})([smhd])");

  private DurationText() {}

  /**
   * @param what names the setting in the message, e.g. {@code --settle}
   * @throws IllegalArgumentException naming the setting and the value
   */
  public static Duration parse(String what, String text) {
    Matcher m = text == null ? null : TEXT.matcher(text.trim());
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException(
          what
              + " must be a whole number and a unit (s, m, h or d), such as 10m or"
              + " 24h, got '"
              + text
              + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /** The shortest text that {@link #parse} reads back as {@code d} (whole seconds). */
  public static String format(Duration d) {
    return formatSeconds(d.toSeconds());
  }

  /** The shortest text that {@link #parse} reads back as {@code s} seconds. */
  public static String formatSeconds(long s) {
    if (s != 0 && s % 86_400 == 0) {
      return s / 86_400 + "d";
    }
    if (s != 0 && s % 3_600 == 0) {
      return s / 3_600 + "h";
    }
    if (s != 0 && s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }
}
