package com.chromacompactor.metrics;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * Heap figures of this JVM, from the memory pools' and the collectors' own accounting.
 *
 * <p>{@link #peakHeapMb()} is the peak of the run on the calling thread: in a process that runs one
 * compaction (the CLI) that is the JVM's peak since start; in the long-lived worker, which runs
 * task after task, and two at once, each task opens a {@link Window} on its thread and gets the
 * peak of its own lifetime. A window does not reset the pools' peaks, which are the JVM's alone:
 * resetting them for one task would lose the peak of another that runs beside it. Instead each
 * window keeps the highest heap use seen while it is open: the use just before each collection
 * (between two collections the heap only grows, so that is where its peaks are), and the use when
 * it is read.
 */
public final class HeapGauge {
  private static final ThreadLocal<Window> CURRENT = new ThreadLocal<>();
  private static final Set<Window> OPEN = ConcurrentHashMap.newKeySet();
  private static final List<String> HEAP_POOLS =
      ManagementFactory.getMemoryPoolMXBeans().stream()
          .filter(p -> p.getType() == MemoryType.HEAP)
          .map(MemoryPoolMXBean::getName)
          .toList();

  static {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(HeapGauge::collected, null, null);
      }
    }
  }

  private HeapGauge() {}

  /**
   * The highest heap use of the run on this thread, in MiB: since its {@link Window} opened, or
   * without one, since the JVM started (summed over the heap pools' peaks).
   */
  public static long peakHeapMb() {
    Window w = CURRENT.get();
    if (w != null) {
      return w.peakMb();
    }
    long bytes = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        bytes += pool.getPeakUsage().getUsed();
      }
    }
    return bytes >> 20;
  }

  public static long usedHeapMb() {
    return usedHeapBytes() >> 20;
  }

  /**
   * Starts measuring the peak of the run on this thread (one task of the worker) until the window
   * is closed.
   */
  public static Window openWindow() {
    Window w = new Window();
    OPEN.add(w);
    CURRENT.set(w);
    return w;
  }

  /** The peak heap of one run, from {@link #openWindow()} until {@link #close()}. */
  public static final class Window implements AutoCloseable {
    private final AtomicLong peakBytes = new AtomicLong(usedHeapBytes());
    private final Thread owner = Thread.currentThread();

    private Window() {}

    /**
     * The highest heap use since the window opened, in MiB, the use right now included while it is
     * open.
     */
    public long peakMb() {
      if (OPEN.contains(this)) {
        see(usedHeapBytes());
      }
      return peakBytes.get() >> 20;
    }

    private void see(long bytes) {
      peakBytes.accumulateAndGet(bytes, Math::max);
    }

    /**
     * Ends the measurement; {@link #peakMb()} keeps its last figure. Call it on the thread that
     * opened it.
     */
    @Override
    public void close() {
      see(usedHeapBytes());
      OPEN.remove(this);
      if (Thread.currentThread() == owner && CURRENT.get() == this) {
        CURRENT.remove();
      }
    }
  }

  private static long usedHeapBytes() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * A collection ended: the heap use just before it was a peak for every window open at that
   * moment.
   */
  private static void collected(Notification n, Object handback) {
    if (OPEN.isEmpty()
        || !GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
      return;
    }
    Map<String, MemoryUsage> before =
        GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData())
            .getGcInfo()
            .getMemoryUsageBeforeGc();
    long bytes = 0;
    for (String pool : HEAP_POOLS) {
      MemoryUsage u = before.get(pool);
      bytes += u == null ? 0 : u.getUsed();
    }
    for (Window w : OPEN) {
      w.see(bytes);
    }
  }
}
