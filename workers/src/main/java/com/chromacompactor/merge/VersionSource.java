package com.chromacompactor.merge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The version of each operation an input brings: one version for all of a producer's delta, or, for
 * a compactor output (an intermediate, a base snapshot merged as a delta), the versions its own
 * {@link RecordVersions} recorded per id. An input without either is unversioned: its operations
 * always apply and record nothing.
 */
abstract class VersionSource implements AutoCloseable {
  static final VersionSource UNVERSIONED =
      new VersionSource() {
        @Override
        DeltaVersion written(String collection, String id) {
          return null;
        }

        @Override
        DeltaVersion deleted(String collection, String id) {
          return null;
        }
      };

  /** The version of the id's write that the input holds; null if unversioned. */
  abstract DeltaVersion written(String collection, String id) throws IOException;

  /** The version of the id's delete that the input's tombstones hold; null if unversioned. */
  abstract DeltaVersion deleted(String collection, String id) throws IOException;

  @Override
  public void close() throws IOException {}

  /** Every operation of a producer's delta has the delta's version. */
  static VersionSource of(DeltaVersion version) {
    return new VersionSource() {
      @Override
      DeltaVersion written(String collection, String id) {
        return version;
      }

      @Override
      DeltaVersion deleted(String collection, String id) {
        return version;
      }
    };
  }

  /**
   * A compactor output's own store, or {@link #UNVERSIONED} when the folder has none (written
   * before versions).
   */
  static VersionSource ofOutput(Path folder) throws IOException {
    Path file = folder.resolve(RecordVersions.FILE);
    if (!Files.isRegularFile(file)) {
      return UNVERSIONED;
    }
    RecordVersions versions = RecordVersions.openReadOnly(file);
    return new VersionSource() {
      @Override
      DeltaVersion written(String collection, String id) throws IOException {
        DeltaVersion v =
            versions.find(collection, id).map(RecordVersions.RecordVersion::written).orElse(null);
        if (v == null) {
          throw new IOException(
              folder
                  + ": invariant violated: record "
                  + collection
                  + "/"
                  + id
                  + " has no write version in "
                  + RecordVersions.FILE);
        }
        return v;
      }

      @Override
      DeltaVersion deleted(String collection, String id) throws IOException {
        DeltaVersion v =
            versions.find(collection, id).map(RecordVersions.RecordVersion::deleted).orElse(null);
        if (v == null) {
          throw new IOException(
              folder
                  + ": invariant violated: tombstone "
                  + collection
                  + "/"
                  + id
                  + " has no delete version in "
                  + RecordVersions.FILE);
        }
        return v;
      }

      @Override
      public void close() throws IOException {
        versions.close();
      }
    };
  }
}
