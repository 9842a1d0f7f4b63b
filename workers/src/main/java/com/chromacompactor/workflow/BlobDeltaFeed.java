package com.chromacompactor.workflow;

import com.chromacompactor.activity.TaskCancelledException;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.SqliteCheck;
import com.chromacompactor.files.FileTrees;
import com.chromacompactor.merge.DeltaFeed;
import com.chromacompactor.merge.DeltaNotReadyException;
import com.chromacompactor.merge.DeltaVersion;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.FolderTransfer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Folders in the bucket, fed to a compaction in order. {@link CompactionMode#SEQUENTIAL}: each
 * folder is downloaded when the merge reaches it and deleted once merged, so one delta is on disk
 * at a time. {@link CompactionMode#PARALLEL}: all folders download at once on a few threads while
 * the merge works through them, which is faster for small batches.
 */
final class BlobDeltaFeed implements DeltaFeed, AutoCloseable {
  private static final int PARALLEL_DOWNLOADS = 4;

  private final BlobStore store;
  private final DeltaOrigin origin;
  private final List<String> prefixes;
  private final boolean baseFirst;
  private final Path workDir;
  private final TaskContext context;
  private final ExecutorService pool;
  private final List<CompletableFuture<Path>> prefetched = new ArrayList<>();
  private final Map<String, DeltaVersion> versions;

  /**
   * From {@link MergeStart#PUBLISHED_SNAPSHOT}, the first prefix is the published snapshot the
   * merge starts from.
   *
   * @param versions the version of each producer delta by key, for a versioned compaction (empty
   *     otherwise)
   */
  BlobDeltaFeed(
      BlobStore store,
      List<String> prefixes,
      MergeStart start,
      DeltaOrigin origin,
      Map<String, DeltaVersion> versions,
      Path workDir,
      CompactionMode mode,
      TaskContext context) {
    this.store = store;
    this.versions = Map.copyOf(versions);
    this.origin = origin;
    this.prefixes = List.copyOf(prefixes);
    this.baseFirst = start == MergeStart.PUBLISHED_SNAPSHOT && !prefixes.isEmpty();
    this.workDir = workDir;
    this.context = context;
    if (mode == CompactionMode.PARALLEL && prefixes.size() > 1) {
      pool =
          Executors.newFixedThreadPool(
              Math.min(PARALLEL_DOWNLOADS, prefixes.size()),
              r -> {
                Thread t = new Thread(r, "delta-download");
                t.setDaemon(true);
                return t;
              });
      for (int i = 0; i < prefixes.size(); i++) {
        int index = i;
        prefetched.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return fetch(index);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                },
                pool));
      }
    } else {
      pool = null;
    }
  }

  @Override
  public boolean baseFirst() {
    return baseFirst;
  }

  @Override
  public int size() {
    return prefixes.size();
  }

  @Override
  public DeltaOrigin origin(int index) {
    return origin;
  }

  /** A compactor output is opened only after {@link OutputManifest#check} passed. */
  @Override
  public SqliteCheck sqliteCheck(int index) {
    return origin == DeltaOrigin.COMPACTOR ? SqliteCheck.DIGEST_VERIFIED : SqliteCheck.QUICK_CHECK;
  }

  @Override
  public String name(int index) {
    return prefixes.get(index);
  }

  @Override
  public Optional<DeltaVersion> version(int index) {
    return Optional.ofNullable(versions.get(prefixes.get(index)));
  }

  @Override
  public Path open(int index) throws IOException {
    try {
      context.checkCancelled();
    } catch (TaskCancelledException e) {
      throw new InterruptedIOException(e.getMessage());
    }
    context.progress("input " + (index + 1) + "/" + prefixes.size() + ": " + prefixes.get(index));
    if (pool == null) {
      return fetch(index);
    }
    try {
      return prefetched.get(index).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while downloading " + prefixes.get(index));
    } catch (ExecutionException e) {
      Throwable cause =
          e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("downloading " + prefixes.get(index) + ": " + cause, cause);
    }
  }

  private Path fetch(int index) throws IOException {
    // The folder is named after the key, so errors that name the local delta also name the key.
    Path local = localFolder(index);
    FileTrees.delete(local);
    int objects = FolderTransfer.download(store, prefixes.get(index), local);
    if (objects == 0) {
      throw new IOException("nothing under " + store.describe() + "/" + prefixes.get(index));
    }
    if (origin == DeltaOrigin.COMPACTOR) {
      // A compactor output is merged only if it arrived exactly as written: every file its manifest
      // lists,
      // with the same size and SHA-256, and nothing else. A mismatch is an I/O failure, retried.
      OutputManifest.check(prefixes.get(index), local);
    } else if (Files.isRegularFile(local.resolve(DeltaMarker.FILE))) {
      // A producer's delta is merged only once it is what its marker says; until then it is still
      // uploading.
      String key = prefixes.get(index);
      DeltaMarker marker =
          DeltaMarker.parse(key, Files.readAllBytes(local.resolve(DeltaMarker.FILE)));
      List<String> problems = MarkedFiles.check(Optional.of(marker), local, null);
      if (!problems.isEmpty()) {
        throw new DeltaNotReadyException(key, DeltaIntake.summary(problems));
      }
    }
    return local;
  }

  /** The bucket key of a local copy this feed made, or null. */
  String keyOf(Path local) {
    for (int i = 0; i < prefixes.size(); i++) {
      if (local.equals(localFolder(i))) {
        return prefixes.get(i);
      }
    }
    return null;
  }

  /** A refusal that names the bucket key of the delta rather than its local copy. */
  CorruptDeltaException relocate(CorruptDeltaException e) {
    String key = keyOf(e.delta());
    return key == null ? e : e.relocated(key);
  }

  private Path localFolder(int index) {
    return workDir.resolve("feed-" + index).resolve(prefixes.get(index).replace('/', '_'));
  }

  @Override
  public boolean disposable(int index) {
    return true; // a download into the work folder, deleted on release
  }

  @Override
  public void release(int index, Path local) throws IOException {
    FileTrees.delete(local.getParent());
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
