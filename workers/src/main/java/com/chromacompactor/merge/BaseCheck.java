package com.chromacompactor.merge;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.chroma.SqliteCheck;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The {@code quick_check} of a base snapshot's SQLite file, run on its own thread while the
 * compaction copies the base and builds the index ({@link SqliteCheck#CHECKED_ALONGSIDE}). On a
 * million records it reads 1.5 GB and takes 17 s; alone, before anything else, it was the largest
 * part of an incremental run. The compaction publishes nothing before {@link #await} returns.
 */
final class BaseCheck {
  private final Path base;
  private final FutureTask<Void> task;

  private BaseCheck(Path base) {
    this.base = base;
    this.task =
        new FutureTask<>(
            () -> {
              DeltaReader.quickCheck(base);
              return null;
            });
  }

  /** Starts the check of {@code base}, a folder the caller owns and keeps until it is awaited. */
  static BaseCheck start(Path base) {
    BaseCheck check = new BaseCheck(base);
    Thread t = new Thread(check.task, "base-quick-check");
    t.setDaemon(true);
    t.start();
    return check;
  }

  /** Waits for the check; throws what it found, naming the base. */
  void await() throws IOException {
    try {
      task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted during the quick_check of base " + base);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("quick_check of base " + base, cause);
    }
  }

  /**
   * Waits for the check, for a compaction that failed otherwise: the base's own fault, if the check
   * found one, explains the failure better than the read or write that ran into it.
   */
  CorruptDeltaException faultOr(Throwable failure) {
    try {
      await();
      return null;
    } catch (CorruptDeltaException fault) {
      if (fault != failure) {
        fault.addSuppressed(failure);
      }
      return fault;
    } catch (IOException | RuntimeException other) {
      return null;
    }
  }
}
