package com.chromacompactor.metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every datapoint, for tests that look at what a handler or the sampler reported. */
public final class RecordingSink implements MetricSink {
  private final List<Measurement> measurements = new CopyOnWriteArrayList<>();

  @Override
  public void put(Measurement measurement) {
    measurements.add(measurement);
  }

  public List<Measurement> named(String name) {
    return measurements.stream().filter(m -> m.name().equals(name)).toList();
  }

  public List<Measurement> named(String name, MetricDimensions dimensions) {
    return named(name).stream().filter(m -> m.dimensions().equals(dimensions)).toList();
  }

  @Override
  public void close() {}
}
