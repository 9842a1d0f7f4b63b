package com.chromacompactor.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The peak heap of a task is its own, in a worker that runs task after task and two at once. */
class HeapGaugeTest {
  private static final int HELD_MB = 96;

  @Test
  void aTasksPeakCoversWhatItHeldAfterTheCollectorFreedIt() throws Exception {
    long first;
    try (HeapGauge.Window w = HeapGauge.openWindow()) {
      holdAndRelease();
      first = awaitPeakOf(w, HELD_MB);
      assertEquals(first, HeapGauge.peakHeapMb(), "the run on this thread reads its window");
    }
    try (HeapGauge.Window next = HeapGauge.openWindow()) {
      assertTrue(
          next.peakMb() < first - HELD_MB / 2,
          "the next task starts from today's heap ("
              + next.peakMb()
              + " MB), not from the last one's peak ("
              + first
              + " MB)");
    }
  }

  @Test
  void aTaskStartingBesideAnotherDoesNotEraseItsPeak() throws Exception {
    try (HeapGauge.Window w = HeapGauge.openWindow()) {
      holdAndRelease();
      long peak = awaitPeakOf(w, HELD_MB);
      AtomicLong besidePeak = new AtomicLong();
      Thread beside =
          new Thread(
              () -> {
                try (HeapGauge.Window other = HeapGauge.openWindow()) {
                  besidePeak.set(other.peakMb());
                }
              });
      beside.start();
      beside.join();
      assertTrue(besidePeak.get() < peak, besidePeak + " MB beside " + peak + " MB");
      assertTrue(
          w.peakMb() >= peak,
          "the first task's peak is kept: " + w.peakMb() + " MB, was " + peak + " MB");
    }
  }

  @Test
  void withoutAWindowThePeakIsTheJvmsSinceStart() {
    try (HeapGauge.Window w = HeapGauge.openWindow()) {
      assertTrue(HeapGauge.peakHeapMb() <= w.peakMb() + 1);
    }
    long jvm = HeapGauge.peakHeapMb();
    assertTrue(jvm >= HeapGauge.usedHeapMb(), jvm + " MB");
  }

  /**
   * Allocates {@link #HELD_MB}, lets it go and collects, so that only the collector saw the peak.
   */
  private static void holdAndRelease() {
    byte[][] held = new byte[HELD_MB][];
    for (int i = 0; i < held.length; i++) {
      held[i] = new byte[1 << 20];
      held[i][i] = 1;
    }
    assertEquals(HELD_MB, held.length);
    held = null;
    System.gc();
  }

  /** The collector's notification arrives on its own thread shortly after the collection. */
  private static long awaitPeakOf(HeapGauge.Window w, long atLeastMb) throws InterruptedException {
    Instant end = Instant.now().plus(Duration.ofSeconds(10));
    while (w.peakMb() < atLeastMb && Instant.now().isBefore(end)) {
      Thread.sleep(20);
    }
    long peak = w.peakMb();
    assertTrue(peak >= atLeastMb, "peak " + peak + " MB after holding " + atLeastMb + " MB");
    return peak;
  }
}
