package com.chromacompactor.metrics;

/**
 * Where datapoints go. {@link #put} never blocks on the network and never throws for a delivery
 * problem: metrics must not fail a task.
 */
public interface MetricSink extends AutoCloseable {
  /** Drops everything (for local runs and tests that do not look at metrics). */
  MetricSink DISCARD =
      new MetricSink() {
        @Override
        public void put(Measurement measurement) {}

        @Override
        public void close() {}
      };

  void put(Measurement measurement);

  /** Delivers what is still buffered, within a short bound, and stops. */
  @Override
  void close();
}
