package com.chromacompactor.workflow;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.merge.Tombstones;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.RootedBlobStore;
import com.chromacompactor.storage.StorageKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The producer's side of the protocol, for a closed Chroma directory on this machine: upload every
 * file to {@code deltas/<name>/}, then the commit marker {@value DeltaMarker#FILE} listing them
 * (size, SHA-256), last. Until the marker is there, Plan leaves the delta alone; once it is, the
 * delta merges at its sequence. Every request is a plain PUT of the same bytes, so a push retried
 * after any failure converges to the same delta; a retry that finds its own marker committed (the
 * same sequence and files) is done.
 */
public final class DeltaPush {
  private static final DateTimeFormatter NAME_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * A committed delta: its key within the lineage, its marker, and how many files went before the
   * marker.
   */
  public record Pushed(String key, DeltaMarker marker, int files) {}

  private DeltaPush() {}

  /**
   * A time-ordered unique name, {@code 20261206T120000123Z-3f9a1c2e}: names sort roughly by push
   * time, which helps a person reading a listing; the merge order is the sequence's, never the
   * name's.
   */
  public static String timeOrderedName(Instant now) {
    byte[] random = new byte[4];
    RANDOM.nextBytes(random);
    return NAME_TIME.format(now) + "-" + HexFormat.of().formatHex(random);
  }

  /**
   * Pushes {@code folder} as {@code deltas/<name>/} of {@code lineage} in {@code bucket}.
   *
   * @param sequence the delta's place in the write order (e.g. milliseconds since the epoch)
   * @param producer who pushes it, recorded in the marker (may be null)
   * @throws CorruptDeltaException when the folder is not a closed delta (it is not uploaded)
   * @throws IOException when a delta of that name is committed already, or the upload fails
   */
  public static Pushed push(
      BlobStore bucket, Lineage lineage, Path folder, String name, long sequence, String producer)
      throws IOException {
    return push(bucket, lineage, folder, name, sequence, producer, Mode.NEW);
  }

  /** Whether a push may overwrite a committed delta of the same name. */
  public enum Mode {
    /** Refused when the name is committed already. */
    NEW,
    /**
     * Replaces the delta (a producer's fix of a quarantined one, before it is released): the old
     * marker goes first, so the folder is uncommitted meanwhile; then objects the new delta does
     * not have; then the upload as usual.
     */
    REPLACE
  }

  /**
   * As {@link #push(BlobStore, Lineage, Path, String, long, String)}, replacing a committed delta
   * when asked.
   */
  public static Pushed push(
      BlobStore bucket,
      Lineage lineage,
      Path folder,
      String name,
      long sequence,
      String producer,
      Mode mode)
      throws IOException {
    StorageKeys.requireRelative(name);
    if (name.contains("/") || name.startsWith(".")) {
      throw new IllegalArgumentException(
          "delta name '" + name + "' must be one folder name, not hidden");
    }
    if (sequence < 0) {
      throw new IllegalArgumentException("sequence must be >= 0, got " + sequence);
    }
    List<Path> files = requireClosedDelta(folder);
    BlobStore blobs = RootedBlobStore.under(bucket, lineage.root());
    String key = StorageLayout.DELTAS_PREFIX + name + "/";
    List<DeltaMarker.FileEntry> entries = new ArrayList<>();
    for (Path f : files) {
      String relative = folder.relativize(f).toString().replace('\\', '/');
      entries.add(new DeltaMarker.FileEntry(relative, Files.size(f), OutputManifest.sha256(f)));
    }
    if (mode == Mode.NEW) {
      Optional<BlobStore.Blob> committed = blobs.get(key + DeltaMarker.FILE);
      if (committed.isPresent()) {
        DeltaMarker there = DeltaMarker.parse(key, committed.get().body());
        if (there.sequence() == sequence && there.files().equals(Optional.of(entries))) {
          // The same push, retried after its marker landed (a producer killed, or its answer lost):
          // it is committed.
          return new Pushed(key, there, files.size());
        }
        throw new IOException(
            "delta "
                + key
                + " is committed already in "
                + blobs.describe()
                + ": push under another --name, or --replace it");
      }
    }
    if (mode == Mode.REPLACE) {
      blobs.delete(List.of(key + DeltaMarker.FILE));
      Set<String> keep = new HashSet<>();
      entries.forEach(e -> keep.add(key + e.path()));
      blobs.delete(blobs.listKeys(key).stream().filter(k -> !keep.contains(k)).toList());
    }
    DeltaMarker marker = new DeltaMarker(sequence, Optional.of(entries), producer, Instant.now());
    for (Path f : files) {
      blobs.upload(f, key + folder.relativize(f).toString().replace('\\', '/'));
    }
    blobs.put(key + DeltaMarker.FILE, marker.toJson());
    return new Pushed(key, marker, files.size());
  }

  /**
   * The delta's files, sorted, after checking that it is one a producer closed: Chroma's database
   * (readable, of a known version) or only tombstones, no open SQLite journal, and no marker of its
   * own.
   */
  static List<Path> requireClosedDelta(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      throw new CorruptDeltaException(folder, DeltaProblem.NOT_CHROMA, "not a directory");
    }
    Path sqlite = folder.resolve(DeltaReader.SQLITE_FILE);
    if (!Files.exists(sqlite) && !Tombstones.present(folder)) {
      throw new CorruptDeltaException(
          folder,
          DeltaProblem.NOT_CHROMA,
          "no " + DeltaReader.SQLITE_FILE + " and no " + Tombstones.FILE);
    }
    for (String journal : List.of("-wal", "-journal")) {
      Path j = folder.resolve(DeltaReader.SQLITE_FILE + journal);
      if (Files.exists(j) && Files.size(j) > 0) {
        throw new CorruptDeltaException(
            folder,
            DeltaProblem.CORRUPT_SQLITE,
            j.getFileName()
                + " is not empty: the client still has the database open (call client.close() first)");
      }
    }
    if (Files.exists(folder.resolve(DeltaMarker.FILE))) {
      throw new CorruptDeltaException(
          folder,
          DeltaProblem.BAD_MARKER,
          "the folder holds a " + DeltaMarker.FILE + " already: push writes its own");
    }
    if (Files.exists(sqlite)) {
      try (DeltaReader reader = DeltaReader.open(folder)) {
        reader.collections(); // opened and validated: migrations, schema
      }
    }
    if (Tombstones.present(folder)) {
      Tombstones.read(folder, (collection, id) -> {});
    }
    try (Stream<Path> walk = Files.walk(folder)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    }
  }
}
