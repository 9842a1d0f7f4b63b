package com.chromacompactor.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.aws.Resilience;
import com.chromacompactor.statemachine.contract.MetricNames;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.Metric;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;

/**
 * The publisher against LocalStack's CloudWatch: what it sends is what ListMetrics and
 * GetMetricStatistics see.
 */
class CloudWatchMetricsTest {
  private static final Resilience.Policy QUICK =
      new Resilience.Policy(2, Duration.ofMillis(10), Duration.ofMillis(20), 20);
  private static CloudWatchClient cloudWatch;

  @BeforeAll
  static void connect() {
    cloudWatch = new AwsClients(AwsSettings.localStack()).cloudWatch();
  }

  @AfterAll
  static void disconnect() {
    cloudWatch.close();
  }

  @Test
  void publishedDatapointsAreVisibleWithAndWithoutDimensions() {
    String namespace = "Test/Compaction-" + UUID.randomUUID();
    MetricDimensions task = new MetricDimensions("b-42", "receipt_words");
    Instant at = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    try (CloudWatchMetrics metrics =
        new CloudWatchMetrics(
            cloudWatch, new Resilience("monitoring", QUICK), namespace, Duration.ofHours(1))) {
      metrics.put(
          new Measurement(MetricNames.MEMORY_USAGE_PERCENT, 42.5, StandardUnit.PERCENT, task, at));
      metrics.put(
          new Measurement(
              MetricNames.MEMORY_USAGE_PERCENT,
              42.5,
              StandardUnit.PERCENT,
              MetricDimensions.NONE,
              at));
      metrics.put(
          new Measurement(
              MetricNames.DELTA_PROCESSING_MS, 120, StandardUnit.MILLISECONDS, task, at));
      metrics.flush();
      assertEquals(3, metrics.published());
      assertEquals(0, metrics.dropped());
    }
    List<Metric> listed = cloudWatch.listMetrics(b -> b.namespace(namespace)).metrics();
    Set<String> series =
        listed.stream()
            .map(
                m ->
                    m.metricName()
                        + " "
                        + m.dimensions().stream()
                            .map(d -> d.name() + "=" + d.value())
                            .sorted()
                            .collect(Collectors.joining(",")))
            .collect(Collectors.toSet());
    assertEquals(
        Set.of(
            "MemoryUsagePercent ",
            "MemoryUsagePercent batch=b-42,collection=receipt_words",
            "DeltaProcessingMs batch=b-42,collection=receipt_words"),
        series);

    List<Datapoint> alarmSeries =
        cloudWatch
            .getMetricStatistics(
                b ->
                    b.namespace(namespace)
                        .metricName(MetricNames.MEMORY_USAGE_PERCENT)
                        .startTime(at.minusSeconds(60))
                        .endTime(at.plusSeconds(60))
                        .period(60)
                        .statistics(Statistic.MAXIMUM))
            .datapoints();
    assertEquals(1, alarmSeries.size(), alarmSeries::toString);
    assertEquals(42.5, alarmSeries.get(0).maximum());

    List<Datapoint> taskSeries =
        cloudWatch
            .getMetricStatistics(
                b ->
                    b.namespace(namespace)
                        .metricName(MetricNames.DELTA_PROCESSING_MS)
                        .dimensions(
                            Dimension.builder()
                                .name(MetricNames.DIMENSION_BATCH)
                                .value("b-42")
                                .build(),
                            Dimension.builder()
                                .name(MetricNames.DIMENSION_COLLECTION)
                                .value("receipt_words")
                                .build())
                        .startTime(at.minusSeconds(60))
                        .endTime(at.plusSeconds(60))
                        .period(60)
                        .statistics(Statistic.AVERAGE))
            .datapoints();
    assertEquals(120.0, taskSeries.get(0).average());
  }

  @Test
  void manyDatapointsGoOutInBatches() {
    String namespace = "Test/Compaction-" + UUID.randomUUID();
    int n = 4 * 2 + 3; // three calls of at most 4
    Instant at = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    try (CloudWatchMetrics metrics =
        new CloudWatchMetrics(
            cloudWatch,
            new Resilience("monitoring", QUICK),
            namespace,
            new CloudWatchMetrics.Buffering(Duration.ofHours(1), 4, 100))) {
      for (int i = 0; i < n; i++) {
        metrics.put(
            new Measurement(
                MetricNames.DELTAS_PROCESSED,
                1,
                StandardUnit.COUNT,
                new MetricDimensions("b-" + (i % 3), null),
                at));
      }
      metrics.flush();
      assertEquals(n, metrics.published());
    }
    double sum =
        cloudWatch
            .getMetricStatistics(
                b ->
                    b.namespace(namespace)
                        .metricName(MetricNames.DELTAS_PROCESSED)
                        .dimensions(
                            Dimension.builder()
                                .name(MetricNames.DIMENSION_BATCH)
                                .value("b-0")
                                .build())
                        .startTime(at.minusSeconds(60))
                        .endTime(at.plusSeconds(60))
                        .period(60)
                        .statistics(Statistic.SUM))
            .datapoints()
            .stream()
            .mapToDouble(Datapoint::sum)
            .sum();
    assertEquals((n + 2) / 3, (int) sum);
  }

  @Test
  void cloudWatchDownDropsTheDatapointsAndNeverThrows() {
    try (CloudWatchClient down =
            new AwsClients(new AwsSettings("us-east-1", URI.create("http://127.0.0.1:1")))
                .cloudWatch();
        CloudWatchMetrics metrics =
            new CloudWatchMetrics(
                down, new Resilience("monitoring", QUICK), "Test/Down", Duration.ofHours(1))) {
      TaskMetrics task = new TaskMetrics(metrics).batch("b-1");
      task.deltaProcessed(
          Duration.ofMillis(10), 100); // 3 figures, twice: task series and aggregate
      metrics.flush();
      assertEquals(0, metrics.published());
      assertEquals(6, metrics.dropped());
    }
  }

  @Test
  void aFullBufferDropsTheNewestInsteadOfGrowing() {
    try (CloudWatchMetrics metrics =
        new CloudWatchMetrics(
            cloudWatch,
            new Resilience("monitoring", QUICK),
            "Test/Full-" + UUID.randomUUID(),
            new CloudWatchMetrics.Buffering(Duration.ofHours(1), 500, 20))) {
      for (int i = 0; i < 25; i++) {
        metrics.put(
            Measurement.now(
                MetricNames.PEAK_RSS_MB, 1, StandardUnit.MEGABYTES, MetricDimensions.NONE));
      }
      assertEquals(5, metrics.dropped());
      metrics.flush();
      assertEquals(20, metrics.published());
    }
  }
}
