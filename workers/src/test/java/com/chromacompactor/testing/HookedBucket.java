package com.chromacompactor.testing;

import com.chromacompactor.storage.BlobStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A real bucket with a test's hands on it: it records the keys downloaded, runs a hook once before
 * the first read of a chosen key or listing of a chosen prefix (to interleave another step exactly
 * there), and stops a caller after a number of downloads or deleted keys as a killed process would
 * stop (an {@link IOException}, with the requests before it done and the one it hit not).
 */
public final class HookedBucket implements BlobStore {
  /** Work run inside a read, as another process would run it at that moment. */
  @FunctionalInterface
  public interface Interleaved {
    void run() throws Exception;
  }

  /** What the caller sees when the budget runs out: it stops there. */
  public static final class Stopped extends IOException {
    Stopped(String message) {
      super(message);
    }
  }

  private final BlobStore inner;
  private final List<String> downloads = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger downloadsLeft = new AtomicInteger(Integer.MAX_VALUE);
  private final AtomicInteger deletesLeft = new AtomicInteger(Integer.MAX_VALUE);
  private volatile Predicate<String> hookKey;
  private volatile Interleaved hook;
  private volatile Predicate<String> listHookPrefix;
  private volatile Interleaved listHook;
  private volatile Predicate<String> putIfMatchKey;
  private volatile Interleaved putIfMatchHook;

  public HookedBucket(BlobStore inner) {
    this.inner = inner;
  }

  /** Keys downloaded so far, in order. */
  public List<String> downloads() {
    synchronized (downloads) {
      return List.copyOf(downloads);
    }
  }

  /** After {@code n} more downloads, every download stops the caller. */
  public HookedBucket stopAfterDownloads(int n) {
    downloadsLeft.set(n);
    return this;
  }

  /**
   * After {@code n} more keys deleted, a delete stops the caller (having deleted up to the budget
   * of its keys).
   */
  public HookedBucket stopAfterDeletedKeys(int n) {
    deletesLeft.set(n);
    return this;
  }

  /**
   * Runs {@code work} once, just before the first {@link #get} of a key that {@code key} accepts.
   */
  public HookedBucket beforeFirstGet(Predicate<String> key, Interleaved work) {
    this.hookKey = key;
    this.hook = work;
    return this;
  }

  /**
   * Runs {@code work} once, just before the first {@link #list} of a prefix that {@code prefix}
   * accepts.
   */
  public HookedBucket beforeFirstList(Predicate<String> prefix, Interleaved work) {
    this.listHookPrefix = prefix;
    this.listHook = work;
    return this;
  }

  @Override
  public List<String> listFolders(String prefix) throws IOException {
    return inner.listFolders(prefix);
  }

  @Override
  public List<Listed> list(String prefix) throws IOException {
    Interleaved work = null;
    synchronized (this) {
      if (listHook != null && listHookPrefix.test(prefix)) {
        work = listHook;
        listHook = null;
      }
    }
    run(work);
    return inner.list(prefix);
  }

  private static void run(Interleaved work) {
    if (work != null) {
      try {
        work.run();
      } catch (Exception e) {
        throw new AssertionError("the interleaved work failed", e);
      }
    }
  }

  @Override
  public Optional<Blob> get(String key) throws IOException {
    Interleaved work = null;
    synchronized (this) {
      if (hook != null && hookKey.test(key)) {
        work = hook;
        hook = null;
      }
    }
    run(work);
    return inner.get(key);
  }

  @Override
  public void download(String key, Path target) throws IOException {
    countDownload(key);
    inner.download(key, target);
  }

  @Override
  public void download(Listed object, Path target) throws IOException {
    countDownload(object.key());
    inner.download(object, target);
  }

  private void countDownload(String key) throws Stopped {
    if (downloadsLeft.getAndDecrement() <= 0) {
      throw new Stopped("stopped before downloading " + key);
    }
    downloads.add(key);
  }

  @Override
  public void upload(Path source, String key) throws IOException {
    inner.upload(source, key);
  }

  @Override
  public void put(String key, byte[] body) throws IOException {
    inner.put(key, body);
  }

  @Override
  public boolean putIfAbsent(String key, byte[] body) throws IOException {
    return inner.putIfAbsent(key, body);
  }

  /**
   * Runs {@code work} once, just before the first conditional overwrite of a key that {@code key}
   * accepts.
   */
  public HookedBucket beforeFirstPutIfMatch(Predicate<String> key, Interleaved work) {
    this.putIfMatchKey = key;
    this.putIfMatchHook = work;
    return this;
  }

  @Override
  public boolean putIfMatch(String key, byte[] body, String etag) throws IOException {
    Interleaved work = null;
    synchronized (this) {
      if (putIfMatchHook != null && putIfMatchKey.test(key)) {
        work = putIfMatchHook;
        putIfMatchHook = null;
      }
    }
    run(work);
    return inner.putIfMatch(key, body, etag);
  }

  @Override
  public void delete(List<String> keys) throws IOException {
    for (String key : keys) {
      if (deletesLeft.getAndDecrement() <= 0) {
        throw new Stopped("stopped before deleting " + key);
      }
      inner.delete(List.of(key));
    }
  }

  @Override
  public String describe() {
    return inner.describe();
  }
}
