package com.chromacompactor.cli;

import com.chromacompactor.merge.CompactionListener;
import com.chromacompactor.metrics.HeapGauge;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * A live status line on a terminal, rewritten in place at most a few times a second: {@code [
 * 37/100] delta-0036 | 9,250 records | 4,120 rec/s | heap 21 MB}, then one per index build.
 */
final class ProgressLine implements CompactionListener {
  private static final long MIN_INTERVAL_NANOS = 200_000_000L;

  private final PrintStream out;
  private final long start = System.nanoTime();
  private long lastDraw;
  private int width;

  ProgressLine(PrintStream out) {
    this.out = out;
  }

  @Override
  public synchronized void deltaMerged(int done, int total, Path delta, long recordsRead) {
    long now = System.nanoTime();
    if (done < total && now - lastDraw < MIN_INTERVAL_NANOS) {
      return;
    }
    lastDraw = now;
    double seconds = Math.max((now - start) / 1e9, 1e-9);
    String digits = Integer.toString(total);
    draw(
        String.format(
            "[%" + digits.length() + "d/%s] %s | %,d records | %,.0f rec/s | heap %d MB",
            done,
            digits,
            delta.getFileName(),
            recordsRead,
            recordsRead / seconds,
            HeapGauge.usedHeapMb()),
        done == total);
  }

  /**
   * The index builds after the merge: {@code indexing words | 12,288/50,000 vectors | heap 30 MB}.
   */
  @Override
  public synchronized void indexed(String collection, long done, long total) {
    long now = System.nanoTime();
    if (done < total && now - lastDraw < MIN_INTERVAL_NANOS) {
      return;
    }
    lastDraw = now;
    draw(
        String.format(
            "indexing %s | %,d/%,d vectors | heap %d MB",
            collection, done, total, HeapGauge.usedHeapMb()),
        done == total);
  }

  /** A notice goes on a line of its own, above the progress line. */
  @Override
  public synchronized void notice(String message) {
    draw("note: " + message, true);
  }

  private void draw(String line, boolean last) {
    int pad = Math.max(0, width - line.length());
    width = last ? 0 : line.length();
    out.print("\r" + line + " ".repeat(pad));
    if (last) {
      out.println();
    }
    out.flush();
  }
}
