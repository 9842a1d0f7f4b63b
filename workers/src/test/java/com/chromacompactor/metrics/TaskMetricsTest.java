package com.chromacompactor.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.statemachine.contract.MetricNames;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

class TaskMetricsTest {
  @Test
  void eachFigureGoesToTheTaskSeriesAndTheAggregateSeries() {
    RecordingSink sink = new RecordingSink();
    TaskMetrics m = new TaskMetrics(sink).batch("b-7").collection("receipt_lines");
    m.deltaProcessed(Duration.ofMillis(400), 1_000);
    MetricDimensions task = new MetricDimensions("b-7", "receipt_lines");
    for (MetricDimensions d : List.of(task, MetricDimensions.NONE)) {
      assertEquals(400.0, only(sink, MetricNames.DELTA_PROCESSING_MS, d).value());
      assertEquals(
          StandardUnit.MILLISECONDS, only(sink, MetricNames.DELTA_PROCESSING_MS, d).unit());
      assertEquals(1.0, only(sink, MetricNames.DELTAS_PROCESSED, d).value());
      assertEquals(2_500.0, only(sink, MetricNames.EMBEDDINGS_PER_SECOND, d).value());
    }
  }

  @Test
  void withoutDimensionsAFigureIsSentOnce() {
    RecordingSink sink = new RecordingSink();
    TaskMetrics m = new TaskMetrics(sink);
    m.mode(CompactionMode.PARALLEL);
    m.batch("b-8").mode(CompactionMode.SEQUENTIAL);
    assertEquals(
        List.of(0.0, 1.0, 1.0),
        sink.named(MetricNames.MODE).stream().map(Measurement::value).toList());
    assertEquals(
        List.of(MetricDimensions.NONE, new MetricDimensions("b-8", null), MetricDimensions.NONE),
        sink.named(MetricNames.MODE).stream().map(Measurement::dimensions).toList());
  }

  @Test
  void collectionCanBeClearedAndEmptyDeltasGiveNoThroughput() {
    RecordingSink sink = new RecordingSink();
    TaskMetrics m = new TaskMetrics(sink).batch("b").collection("words").collection(null);
    assertEquals(new MetricDimensions("b", null), m.dimensions());
    m.deltaProcessed(Duration.ofMillis(5), 0);
    assertTrue(sink.named(MetricNames.EMBEDDINGS_PER_SECOND).isEmpty());
    assertEquals(2, sink.named(MetricNames.DELTAS_PROCESSED).size());
  }

  @Test
  void aValueThatIsNotFiniteIsRefusedAtTheCall() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new Measurement(
                    MetricNames.PEAK_RSS_MB,
                    Double.NaN,
                    StandardUnit.MEGABYTES,
                    MetricDimensions.NONE,
                    Instant.now()));
    assertEquals("metric PeakRssMb: value must be finite, got NaN", e.getMessage());
  }

  @Test
  void samplerPublishesMemoryForTheAlarmAndForEachRunningTask() throws Exception {
    RecordingSink sink = new RecordingSink();
    MetricDimensions task = new MetricDimensions("b-9", "receipt_words");
    try (MemorySampler sampler =
        new MemorySampler(
            MemoryGauge.system(), sink, () -> List.of(task, task), Duration.ofMillis(100))) {
      Thread.sleep(350);
      assertTrue(sampler.sample().percent() > 0);
    }
    int alarm = sink.named(MetricNames.MEMORY_USAGE_PERCENT, MetricDimensions.NONE).size();
    assertTrue(alarm >= 2, "samples: " + alarm);
    assertEquals(
        alarm,
        sink.named(MetricNames.MEMORY_USAGE_PERCENT, task).size(),
        "one per distinct task series");
    assertEquals(alarm, sink.named(MetricNames.PEAK_RSS_MB, MetricDimensions.NONE).size());
    for (Measurement m : sink.named(MetricNames.MEMORY_USAGE_PERCENT)) {
      assertEquals(StandardUnit.PERCENT, m.unit());
      assertTrue(m.value() > 0 && m.value() <= 100, "percent " + m.value());
    }
  }

  private static Measurement only(RecordingSink sink, String name, MetricDimensions d) {
    List<Measurement> found = sink.named(name, d);
    assertEquals(1, found.size(), name + " " + d + ": " + found);
    return found.get(0);
  }
}
