package com.chromacompactor.metrics;

import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.MetricNames;
import java.time.Duration;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/**
 * The figures a handler reports while one task runs. Each datapoint goes out twice: with the task's
 * dimensions ({@link #batch}, {@link #collection}, as far as they are known) and once with no
 * dimension, the series alarms and the dashboard watch. The memory sampler also tags its datapoints
 * with the dimensions set here.
 *
 * <p>Calls are cheap (they queue) and never throw for a delivery problem. Thread-safe.
 */
public final class TaskMetrics {
  private final MetricSink sink;
  private volatile MetricDimensions dimensions = MetricDimensions.NONE;

  public TaskMetrics(MetricSink sink) {
    this.sink = sink;
  }

  /** Sends nothing; for handlers run outside a worker (local mode, tests). */
  public static TaskMetrics discarding() {
    return new TaskMetrics(MetricSink.DISCARD);
  }

  /** Tags what follows with this batch (from the task input). */
  public TaskMetrics batch(String batchId) {
    dimensions = dimensions.withBatch(batchId);
    return this;
  }

  /** Tags what follows with this lineage ({@link MetricNames#lineageDimension}). */
  public TaskMetrics lineage(String lineageDimension) {
    dimensions = dimensions.withLineage(lineageDimension);
    return this;
  }

  /**
   * Tags what follows with this collection; null when the task moves past collection-specific work.
   */
  public TaskMetrics collection(String collection) {
    dimensions = dimensions.withCollection(collection);
    return this;
  }

  public MetricDimensions dimensions() {
    return dimensions;
  }

  /**
   * {@value MetricNames#MODE}: 1 for {@link CompactionMode#SEQUENTIAL}, 0 for {@link
   * CompactionMode#PARALLEL}, so that the period's maximum says whether any chunk ran sequentially
   * and the average gives the share.
   */
  public void mode(CompactionMode mode) {
    put(MetricNames.MODE, mode == CompactionMode.SEQUENTIAL ? 1 : 0, StandardUnit.NONE);
  }

  /**
   * One delta merged: {@value MetricNames#DELTA_PROCESSING_MS}, {@value
   * MetricNames#DELTAS_PROCESSED} (1) and, when it held embeddings, {@value
   * MetricNames#EMBEDDINGS_PER_SECOND} for that delta.
   */
  public void deltaProcessed(Duration elapsed, long embeddings) {
    put(MetricNames.DELTA_PROCESSING_MS, elapsed.toMillis(), StandardUnit.MILLISECONDS);
    put(MetricNames.DELTAS_PROCESSED, 1, StandardUnit.COUNT);
    embeddingsPerSecond(embeddings, elapsed);
  }

  /**
   * {@value MetricNames#EMBEDDINGS_PER_SECOND} over a longer stretch (a whole chunk, the final
   * merge).
   */
  public void embeddingsPerSecond(long embeddings, Duration elapsed) {
    if (embeddings > 0 && !elapsed.isZero() && !elapsed.isNegative()) {
      put(
          MetricNames.EMBEDDINGS_PER_SECOND,
          embeddings * 1000.0 / Math.max(1, elapsed.toMillis()),
          StandardUnit.COUNT_SECOND);
    }
  }

  /** Any figure under this task's dimensions and the aggregate series. */
  public void put(String name, double value, StandardUnit unit) {
    MetricDimensions dims = dimensions;
    Measurement m = Measurement.now(name, value, unit, dims);
    sink.put(m);
    if (!dims.isNone()) {
      sink.put(new Measurement(name, value, unit, MetricDimensions.NONE, m.at()));
    }
  }
}
