package com.chromacompactor.snapshot;

import com.chromacompactor.files.FileTrees;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A snapshot folder under construction: written in a hidden folder beside its destination and
 * renamed into place only when complete, so that the destination either holds a whole snapshot or
 * nothing.
 */
public final class SnapshotDirectory implements AutoCloseable {
  private final Path destination;
  private final Path staging;
  private final Path scratch;
  private boolean published;

  private SnapshotDirectory(Path destination, Path staging, Path scratch) {
    this.destination = destination;
    this.staging = staging;
    this.scratch = scratch;
  }

  /**
   * Prepares a staging folder next to {@code destination} (same file system, so the final rename is
   * atomic). Refuses a destination that exists: a snapshot is never written over another.
   */
  public static SnapshotDirectory beside(Path destination) throws IOException {
    Path dest = destination.toAbsolutePath().normalize();
    if (Files.exists(dest)) {
      throw new FileAlreadyExistsException(
          dest.toString(), null, "the output already exists; refusing to overwrite it");
    }
    Path parent = dest.getParent();
    Files.createDirectories(parent);
    String base =
        "."
            + dest.getFileName()
            + ".tmp-"
            + ProcessHandle.current().pid()
            + "-"
            + System.nanoTime();
    Path staging = Files.createDirectory(parent.resolve(base));
    Path scratch = Files.createDirectory(parent.resolve(base + "-scratch"));
    return new SnapshotDirectory(dest, staging, scratch);
  }

  /** Where the snapshot's files are written. */
  public Path staging() {
    return staging;
  }

  /** Working files that are never part of the snapshot (deleted on close). */
  public Path scratch() {
    return scratch;
  }

  public Path destination() {
    return destination;
  }

  /** Moves the complete snapshot into place in one rename. */
  public void publish() throws IOException {
    try {
      Files.move(staging, destination, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + staging + " to " + destination + " atomically", e);
    }
    published = true;
  }

  /** Deletes the staging folder unless it was published, and the scratch folder always. */
  @Override
  public void close() throws IOException {
    FileTrees.delete(scratch);
    if (!published) {
      FileTrees.delete(staging);
    }
  }
}
