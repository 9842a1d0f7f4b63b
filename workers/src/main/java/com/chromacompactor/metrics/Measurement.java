package com.chromacompactor.metrics;

import java.time.Instant;
import java.util.Objects;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/**
 * One datapoint of a custom metric.
 *
 * @param name one of {@code MetricNames}
 * @param value a finite number
 * @param unit CloudWatch's unit
 * @param dimensions where known; {@link MetricDimensions#NONE} for the aggregate series
 * @param at when it was measured
 */
public record Measurement(
    String name, double value, StandardUnit unit, MetricDimensions dimensions, Instant at) {
  public Measurement {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(unit, "unit");
    Objects.requireNonNull(dimensions, "dimensions");
    Objects.requireNonNull(at, "at");
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("metric " + name + ": value must be finite, got " + value);
    }
  }

  public static Measurement now(
      String name, double value, StandardUnit unit, MetricDimensions dimensions) {
    return new Measurement(name, value, unit, dimensions, Instant.now());
  }
}
