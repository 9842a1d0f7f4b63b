package com.chromacompactor.merge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The late-arrival rule of a versioned compaction: an operation (write or delete) of version {@code
 * v} on an id applies only if no later operation on that id is recorded. What is recorded is the
 * output's own {@link RecordVersions} (seeded from the base snapshot's), and else an optional
 * read-only reference: the published snapshot's store, which a chunk consults when it holds a late
 * delta, so that a late write never mixes into a newer one inside the chunk.
 *
 * <p>Where every delta arrives in order, every operation comes after everything recorded and the
 * gate never refuses: the result is the plain in-order merge.
 */
final class VersionGate implements AutoCloseable {
  private final RecordVersions output;
  private final RecordVersions reference;

  private VersionGate(RecordVersions output, RecordVersions reference) {
    this.output = output;
    this.reference = reference;
  }

  /**
   * A gate that records into a new store at {@code file}, seeded from {@code seed} when given (a
   * base snapshot's store: moved when the base is the compaction's own copy, else copied),
   * consulting {@code reference} (may be null).
   */
  static VersionGate open(Path file, Path seed, SeedFile seedFile, Path reference)
      throws IOException {
    RecordVersions output;
    if (seed != null) {
      if (seedFile == SeedFile.MOVE) {
        Files.move(seed, file);
      } else {
        Files.copy(seed, file);
      }
      output = RecordVersions.openWritable(file);
    } else {
      output = RecordVersions.create(file);
    }
    try {
      return new VersionGate(
          output, reference == null ? null : RecordVersions.openReadOnly(reference));
    } catch (IOException e) {
      output.close();
      throw e;
    }
  }

  /** What may happen to a base's store file when it seeds the output's. */
  enum SeedFile {
    /** The base belongs to the caller: its file stays as it is. */
    COPY,
    /** The base is the compaction's own download, deleted once merged: its file may move. */
    MOVE
  }

  /**
   * A gate that records into a new, empty store at {@code file}, consulting {@code reference} (may
   * be null).
   */
  static VersionGate open(Path file, Path reference) throws IOException {
    return open(file, null, SeedFile.COPY, reference);
  }

  /**
   * Whether an operation of {@code version} (null: unversioned, always applies) may change the id.
   */
  boolean admits(String collection, String id, DeltaVersion version) throws IOException {
    if (version == null) {
      return true;
    }
    Optional<RecordVersions.RecordVersion> recorded = output.find(collection, id);
    if (recorded.isEmpty() && reference != null) {
      recorded = reference.find(collection, id);
    }
    return recorded.isEmpty() || version.compareTo(recorded.get().last()) >= 0;
  }

  void wrote(String collection, String id, DeltaVersion version) throws IOException {
    if (version != null) {
      output.recordWrite(collection, id, version);
    }
  }

  void deleted(String collection, String id, DeltaVersion version) throws IOException {
    if (version != null) {
      output.recordDelete(collection, id, version);
    }
  }

  void begin() {
    output.begin();
  }

  void commit() throws IOException {
    output.commit();
  }

  void rollback() throws IOException {
    output.rollback();
  }

  @Override
  public void close() throws IOException {
    try {
      output.close();
    } finally {
      if (reference != null) {
        reference.close();
      }
    }
  }
}
