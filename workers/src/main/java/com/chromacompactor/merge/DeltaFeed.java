package com.chromacompactor.merge;

import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.SqliteCheck;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The deltas of a compaction, in merge order, handed out one at a time: a feed may fetch a delta
 * only when it is opened and drop its local copy once it is released, so that a chunk of deltas in
 * S3 never needs more local disk than one delta (or, prefetching, a few).
 */
public interface DeltaFeed {
  int size();

  /** A name for delta {@code index} in messages and progress (its key or path). */
  String name(int index);

  /**
   * Who wrote delta {@code index}: producers' deltas and compactor outputs are read differently.
   */
  default DeltaOrigin origin(int index) {
    return DeltaOrigin.PRODUCER;
  }

  /**
   * What a reader of delta {@code index} must still check of its SQLite file: {@link
   * SqliteCheck#DIGEST_VERIFIED} once {@link #open} has matched it against a compactor manifest's
   * SHA-256.
   */
  default SqliteCheck sqliteCheck(int index) {
    return SqliteCheck.QUICK_CHECK;
  }

  /**
   * Whether delta 0 is the previous snapshot, which a writer may take over as it stands instead of
   * merging it (see {@link com.chromacompactor.snapshot.SnapshotWriter#seed}).
   */
  default boolean baseFirst() {
    return false;
  }

  /**
   * Whether the local folder of delta {@code index} is this compaction's own copy, which {@link
   * #release} deletes: a writer may then move its files into the snapshot rather than copy them (a
   * base's index file is 315 MB at 50,000 × 1536-d). A folder the caller owns never is.
   */
  default boolean disposable(int index) {
    return false;
  }

  /**
   * The version of every operation of delta {@code index}, a producer's delta, in a versioned
   * compaction (see {@link CompactionOptions.VersionTracking}); empty for a compactor output, whose
   * own store has them per id, and for a feed without versions.
   */
  default Optional<DeltaVersion> version(int index) {
    return Optional.empty();
  }

  /**
   * The local folder of delta {@code index}, ready to read.
   *
   * @throws DeltaNotReadyException when the delta is not all there yet: it is left out and deferred
   */
  Path open(int index) throws IOException;

  /** Delta {@code index} has been merged (or refused); its local copy may go. */
  void release(int index, Path local) throws IOException;

  /** Deltas that are local folders already. */
  static DeltaFeed of(List<Path> folders) {
    return local(List.copyOf(folders), null);
  }

  /** A previous snapshot (a compactor output, merged first), then deltas: all local folders. */
  static DeltaFeed withBase(Path base, List<Path> deltas) {
    List<Path> all = new ArrayList<>();
    all.add(base);
    all.addAll(deltas);
    return local(List.copyOf(all), base);
  }

  private static DeltaFeed local(List<Path> copy, Path compactorOutput) {
    return new DeltaFeed() {
      @Override
      public boolean baseFirst() {
        return compactorOutput != null;
      }

      @Override
      public DeltaOrigin origin(int index) {
        return copy.get(index).equals(compactorOutput) && index == 0
            ? DeltaOrigin.COMPACTOR
            : DeltaOrigin.PRODUCER;
      }

      @Override
      public int size() {
        return copy.size();
      }

      @Override
      public String name(int index) {
        return copy.get(index).toString();
      }

      @Override
      public Path open(int index) {
        return copy.get(index);
      }

      @Override
      public void release(int index, Path local) {}
    };
  }
}
