package com.chromacompactor.metrics;

import com.chromacompactor.statemachine.contract.MetricNames;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/**
 * Publishes {@value MetricNames#MEMORY_USAGE_PERCENT} and {@value MetricNames#PEAK_RSS_MB} every
 * interval while the worker runs: once with no dimension (the memory alarm's series) and once per
 * distinct set of dimensions of the tasks running at that moment.
 */
public final class MemorySampler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MemorySampler.class);

  private final MemoryGauge gauge;
  private final MetricSink sink;
  private final Supplier<? extends Iterable<MetricDimensions>> runningTasks;
  private final ScheduledExecutorService timer;

  /**
   * @param runningTasks the dimensions of the tasks in flight, asked at each sample
   */
  public MemorySampler(
      MemoryGauge gauge,
      MetricSink sink,
      Supplier<? extends Iterable<MetricDimensions>> runningTasks,
      Duration interval) {
    this.gauge = gauge;
    this.sink = sink;
    this.runningTasks = runningTasks;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "memory-sampler");
              t.setDaemon(true);
              return t;
            });
    long ms = interval.toMillis();
    timer.scheduleWithFixedDelay(this::sampleSafely, 0, ms, TimeUnit.MILLISECONDS);
  }

  /** Takes one sample now and queues its datapoints. */
  public MemoryGauge.Reading sample() {
    MemoryGauge.Reading reading = gauge.read();
    var peakRss = gauge.peakRssMb();
    Instant at = Instant.now();
    Set<MetricDimensions> series = new LinkedHashSet<>();
    series.add(MetricDimensions.NONE);
    for (MetricDimensions d : runningTasks.get()) {
      series.add(d);
    }
    for (MetricDimensions d : series) {
      sink.put(
          new Measurement(
              MetricNames.MEMORY_USAGE_PERCENT, reading.percent(), StandardUnit.PERCENT, d, at));
      if (peakRss.isPresent()) {
        sink.put(
            new Measurement(
                MetricNames.PEAK_RSS_MB, peakRss.getAsLong(), StandardUnit.MEGABYTES, d, at));
      }
    }
    return reading;
  }

  private void sampleSafely() {
    try {
      MemoryGauge.Reading r = sample();
      log.debug(
          "memory: {}% of {} MB ({})",
          String.format("%.1f", r.percent()), r.limitBytes() >> 20, r.source());
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again; one bad reading must not end the sampling.
      log.warn("memory sample failed: {}", e.toString());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
