package com.chromacompactor.metrics;

import com.chromacompactor.aws.Resilience;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.MetricDatum;

/**
 * Publishes datapoints with PutMetricData, batched, from a background thread, through {@link
 * Resilience}.
 *
 * <p>{@link #put} only queues (the queue is bounded, see {@link Buffering}: past it the newest
 * datapoints are dropped). A flush that still fails after the retries logs a warning and drops its
 * batch: CloudWatch being down never fails or slows a task.
 */
public final class CloudWatchMetrics implements MetricSink {
  /**
   * How datapoints are held and sent.
   *
   * @param flushInterval how often the background thread publishes what was queued
   * @param batchSize datapoints per PutMetricData call (the API takes 1,000 and 1 MB; ours are ~150
   *     bytes each)
   * @param maxBuffered datapoints held while CloudWatch is unreachable; past this the newest are
   *     dropped
   */
  public record Buffering(Duration flushInterval, int batchSize, int maxBuffered) {
    public Buffering {
      if (flushInterval.isNegative()
          || flushInterval.isZero()
          || batchSize < 1
          || batchSize > 1000
          || maxBuffered < 1) {
        throw new IllegalArgumentException(
            "metrics buffering out of range: "
                + flushInterval
                + ", batch "
                + batchSize
                + ", buffer "
                + maxBuffered);
      }
    }

    /** Batches of 500, at most 10,000 datapoints held. */
    public static Buffering every(Duration flushInterval) {
      return new Buffering(flushInterval, 500, 10_000);
    }
  }

  /** How long {@link #close()} waits for the last flush. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private static final Logger log = LoggerFactory.getLogger(CloudWatchMetrics.class);

  private final CloudWatchClient client;
  private final Resilience resilience;
  private final String namespace;
  private final int batchSize;
  private final BlockingQueue<Measurement> buffer;
  private final ScheduledExecutorService flusher;
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();

  /** Batches of 500, at most 10,000 datapoints held. */
  public CloudWatchMetrics(
      CloudWatchClient client, Resilience resilience, String namespace, Duration flushInterval) {
    this(client, resilience, namespace, Buffering.every(flushInterval));
  }

  public CloudWatchMetrics(
      CloudWatchClient client, Resilience resilience, String namespace, Buffering buffering) {
    if (namespace == null || namespace.isBlank() || namespace.startsWith("AWS/")) {
      throw new IllegalArgumentException(
          "metrics namespace must be non-empty and not start with AWS/: " + namespace);
    }
    this.client = client;
    this.resilience = resilience;
    this.namespace = namespace;
    this.batchSize = buffering.batchSize();
    this.buffer = new ArrayBlockingQueue<>(buffering.maxBuffered());
    this.flusher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "metrics-flush");
              t.setDaemon(true);
              return t;
            });
    long ms = buffering.flushInterval().toMillis();
    flusher.scheduleWithFixedDelay(this::flush, ms, ms, TimeUnit.MILLISECONDS);
  }

  public String namespace() {
    return namespace;
  }

  @Override
  public void put(Measurement measurement) {
    if (!buffer.offer(measurement)) {
      dropped.incrementAndGet();
    }
  }

  /**
   * Publishes everything queued so far, in batches. A batch CloudWatch refuses, or that still fails
   * after the retries, is logged and dropped.
   */
  public synchronized void flush() {
    List<Measurement> batch = new ArrayList<>(batchSize);
    while (buffer.drainTo(batch, batchSize) > 0) {
      List<MetricDatum> data = batch.stream().map(CloudWatchMetrics::datum).toList();
      try {
        resilience.run(
            "PutMetricData",
            () -> client.putMetricData(b -> b.namespace(namespace).metricData(data)));
        published.addAndGet(data.size());
      } catch (RuntimeException e) {
        // Metrics must not fail the work they describe: the batch is lost, and we say so.
        dropped.addAndGet(data.size());
        log.warn("metrics: dropped {} datapoints for {}: {}", data.size(), namespace, e.toString());
      }
      batch.clear();
    }
  }

  /** Datapoints CloudWatch accepted. */
  public long published() {
    return published.get();
  }

  /** Datapoints lost: the buffer was full, or CloudWatch kept failing. */
  public long dropped() {
    return dropped.get();
  }

  @Override
  public void close() {
    flusher.shutdown();
    Thread last = new Thread(this::flush, "metrics-final-flush");
    last.setDaemon(true);
    last.start();
    try {
      last.join(CLOSE_WAIT.toMillis());
      flusher.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (last.isAlive()) {
      log.warn(
          "metrics: the last flush to {} did not finish within {}; its datapoints may be lost",
          namespace,
          CLOSE_WAIT);
    }
  }

  private static MetricDatum datum(Measurement m) {
    return MetricDatum.builder()
        .metricName(m.name())
        .value(m.value())
        .unit(m.unit())
        .timestamp(m.at())
        .dimensions(m.dimensions().toCloudWatch())
        .build();
  }
}
