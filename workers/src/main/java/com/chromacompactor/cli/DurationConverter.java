package com.chromacompactor.cli;

import com.chromacompactor.statemachine.contract.DurationText;
import java.time.Duration;
import picocli.CommandLine;

/**
 * A duration option ({@code 0s}, {@code 30m}, {@code 24h}, {@code 7d}), read by {@link
 * DurationText} as everywhere else. A bad value is an option error: one line naming the option,
 * exit 2.
 */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    try {
      return DurationText.parse("duration", value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(
          "'"
              + value
              + "' is not a duration: write a whole number and a"
              + " unit (s, m, h or d), such as 0s, 30m, 24h or 7d");
    }
  }
}
