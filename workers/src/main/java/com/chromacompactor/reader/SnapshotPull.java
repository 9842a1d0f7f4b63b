package com.chromacompactor.reader;

import com.chromacompactor.files.FileTrees;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.StorageKeys;
import com.chromacompactor.workflow.OutputManifest;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A reader's private, verified copy of the lineage's latest snapshot, in a folder of its own:
 *
 * <pre>
 *   DIR/current -&gt; b-5e1f...        a relative symbolic link to the newest copy, swapped atomically
 *   DIR/b-5e1f.../                   a copy of snapshots/b-5e1f.../, every file checked against its manifest
 *   DIR/b-0c2a.../                   the previous copy, kept: a reader may still be copying or reading it
 *   DIR/.pull-b-5e1f.../             a pull in progress: files verified so far under their names, one .part
 * </pre>
 *
 * <p>One {@link #pull()} reads {@code latest} once, and downloads that snapshot into the hidden
 * folder: each file to a {@code .part}, checked for the manifest's size and SHA-256, then renamed
 * to its name. Once all are there it renames the folder to {@code DIR/<batch>}, points a new link
 * at it and renames the link over {@code DIR/current} (rename(2) replaces it atomically: a reader
 * sees the old copy or the new one, never neither), then removes the copies older than the previous
 * one. A damaged or incomplete snapshot is refused, naming the file, and {@code current} stays as
 * it was. An interrupted pull resumes: a file under its own name was verified before it got it, so
 * it is not downloaded again. A snapshot is never rewritten once its manifest exists, so what was
 * verified stays true.
 */
public final class SnapshotPull {
  /** The link a reader opens. */
  public static final String CURRENT = "current";

  private static final String STAGING = ".pull-";
  private static final String LINK_TEMP = ".current-";
  private static final String LOCK = ".pull.lock";
  private static final String PART = ".part";
  private static final String STAGED_MANIFEST = ".manifest.json";

  /** What a pull did. */
  public enum Outcome {
    /** {@code current} now names the latest snapshot's copy. */
    PULLED,
    /** {@code current} named it already: nothing was done. */
    ALREADY_CURRENT
  }

  /**
   * @param snapshotPrefix {@code snapshots/<batch>/}, as {@code latest} named it
   * @param folder {@code DIR/<batch>}
   * @param downloaded files downloaded by this pull
   * @param reused files verified by an earlier, interrupted pull (or found in a copy already moved
   *     in)
   * @param bytesDownloaded what this pull downloaded
   * @param previous the copy {@code current} named before, kept; null if none
   * @param removed older copies removed
   */
  public record Result(
      Outcome outcome,
      String snapshotPrefix,
      Path folder,
      int downloaded,
      int reused,
      long bytesDownloaded,
      String previous,
      List<String> removed) {}

  /** A snapshot that is not what its manifest says, or not all there: not pulled. */
  public static final class RefusedSnapshotException extends IOException {
    RefusedSnapshotException(String message) {
      super(message);
    }
  }

  private final BlobStore lineage;
  private final Path dir;

  /**
   * @param lineage the lineage's part of the bucket (its root applied), where {@code latest} is
   * @param dir the reader's folder; created if missing
   */
  public SnapshotPull(BlobStore lineage, Path dir) {
    this.lineage = lineage;
    this.dir = dir.toAbsolutePath().normalize();
  }

  /** The copy {@code DIR/current} names, if any. */
  public Optional<String> current() throws IOException {
    Path link = dir.resolve(CURRENT);
    if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    if (!Files.isSymbolicLink(link)) {
      throw new IOException(
          link + " is not a symbolic link: pull only ever replaces the link it made");
    }
    return Optional.of(Files.readSymbolicLink(link).toString());
  }

  /** Makes {@code DIR/current} the verified copy of the latest snapshot (see the class comment). */
  public Result pull() throws IOException {
    Files.createDirectories(dir);
    try (FileChannel lockFile =
            FileChannel.open(
                dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockFile.tryLock()) {
      if (lock == null) {
        throw new IOException("another pull is running in " + dir);
      }
      return pullLocked();
    }
  }

  private Result pullLocked() throws IOException {
    String prefix = latestPrefix();
    String batch = StorageKeys.folderName(prefix);
    if (batch.startsWith(".") || batch.equals(CURRENT)) {
      throw new RefusedSnapshotException(
          lineage.describe()
              + "/"
              + StorageLayout.LATEST_KEY
              + " names "
              + prefix
              + ", whose name cannot be a copy's folder");
    }
    Optional<String> before = current();
    Path target = dir.resolve(batch);
    if (before.isPresent() && before.get().equals(batch) && Files.isDirectory(target)) {
      return new Result(Outcome.ALREADY_CURRENT, prefix, target, 0, 0, 0, null, List.of());
    }
    byte[] manifestBody =
        lineage
            .get(prefix + OutputManifest.FILE)
            .orElseThrow(
                () ->
                    refused(
                        prefix,
                        "it has no " + OutputManifest.FILE + ", so it is not a complete snapshot",
                        before))
            .body();
    OutputManifest manifest;
    try {
      manifest = OutputManifest.parse(manifestBody);
    } catch (IOException e) {
      throw refused(
          prefix, "its " + OutputManifest.FILE + " does not parse: " + e.getMessage(), before);
    }
    int downloaded = 0;
    int reused = 0;
    long bytes = 0;
    if (Files.isDirectory(target) && manifest.verify(target).isEmpty()) {
      reused =
          manifest.files().size(); // moved in by a pull that stopped before it swapped the link
    } else {
      FileTrees.delete(target);
      removeStaging(batch);
      Path staging = dir.resolve(STAGING + batch);
      Files.createDirectories(staging);
      Path staged = staging.resolve(STAGED_MANIFEST);
      if (Files.exists(staged) && !Arrays.equals(Files.readAllBytes(staged), manifestBody)) {
        FileTrees.delete(staging); // not the snapshot this folder was started for
        Files.createDirectories(staging);
      }
      Files.write(staged, manifestBody);
      for (Map.Entry<String, OutputManifest.FileEntry> e : manifest.files().entrySet()) {
        Path local = inside(staging, e.getKey());
        if (Files.isRegularFile(local) && Files.size(local) == e.getValue().bytes()) {
          reused++; // verified (size and SHA-256) before it was renamed to its name
          continue;
        }
        fetch(prefix, e.getKey(), e.getValue(), local, before);
        downloaded++;
        bytes += e.getValue().bytes();
      }
      Files.move(staged, staging.resolve(OutputManifest.FILE), StandardCopyOption.ATOMIC_MOVE);
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    }
    pointCurrentAt(batch);
    String previous = before.filter(b -> !b.equals(batch)).orElse(null);
    List<String> removed = removeOlderCopies(batch, previous);
    return new Result(Outcome.PULLED, prefix, target, downloaded, reused, bytes, previous, removed);
  }

  private String latestPrefix() throws IOException {
    byte[] body =
        lineage
            .get(StorageLayout.LATEST_KEY)
            .orElseThrow(
                () ->
                    new NoSuchFileException(
                        lineage.describe() + "/" + StorageLayout.LATEST_KEY,
                        null,
                        "nothing is published yet"))
            .body();
    String prefix = new String(body, StandardCharsets.UTF_8).trim();
    try {
      return StorageKeys.requireFolderUnder(StorageLayout.SNAPSHOTS_PREFIX, prefix);
    } catch (IllegalArgumentException e) {
      throw new RefusedSnapshotException(
          lineage.describe() + "/" + StorageLayout.LATEST_KEY + ": " + e.getMessage());
    }
  }

  /** One file: downloaded beside its place, checked, then renamed into it. */
  private void fetch(
      String prefix,
      String path,
      OutputManifest.FileEntry expected,
      Path local,
      Optional<String> before)
      throws IOException {
    Path part = local.resolveSibling(local.getFileName() + PART);
    Files.createDirectories(local.getParent());
    try {
      lineage.download(prefix + path, part);
    } catch (NoSuchFileException e) {
      throw refused(
          prefix,
          path
              + " is in its manifest but not in the bucket (incomplete, or deleted since latest"
              + " named it)",
          before);
    }
    OutputManifest.FileEntry found =
        new OutputManifest.FileEntry(Files.size(part), OutputManifest.sha256(part));
    if (!found.equals(expected)) {
      Files.delete(part);
      throw refused(
          prefix,
          path
              + " is "
              + found.bytes()
              + " bytes with SHA-256 "
              + found.sha256()
              + ", its manifest says "
              + expected.bytes()
              + " bytes with SHA-256 "
              + expected.sha256(),
          before);
    }
    Files.move(part, local, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private RefusedSnapshotException refused(String prefix, String why, Optional<String> before) {
    return new RefusedSnapshotException(
        lineage.describe()
            + "/"
            + prefix
            + " is refused: "
            + why
            + "; "
            + before
                .map(b -> dir.resolve(CURRENT) + " still names " + b)
                .orElse("nothing was pulled into " + dir));
  }

  /** A new link to {@code batch}, renamed over {@code current}. */
  private void pointCurrentAt(String batch) throws IOException {
    Path temp = dir.resolve(LINK_TEMP + UUID.randomUUID());
    Files.createSymbolicLink(temp, Path.of(batch));
    try {
      Files.move(
          temp,
          dir.resolve(CURRENT),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.deleteIfExists(temp);
      throw new IOException(
          dir + " cannot replace a link atomically: pull needs a local POSIX file system", e);
    }
  }

  /**
   * Copies that are neither {@code batch} nor {@code previous}, links left by a stopped pull, other
   * staging.
   */
  private List<String> removeOlderCopies(String batch, String previous) throws IOException {
    List<String> removed = new ArrayList<>();
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path child : children) {
        String name = child.getFileName().toString();
        if (name.startsWith(LINK_TEMP) && Files.isSymbolicLink(child)) {
          Files.delete(child);
        } else if (name.startsWith(STAGING) && !name.equals(STAGING + batch)) {
          FileTrees.delete(child);
        } else if (!name.startsWith(".")
            && !name.equals(batch)
            && !name.equals(previous)
            && !name.equals(CURRENT)
            && Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)
            && isCopy(child)) {
          FileTrees.delete(child);
          removed.add(name);
        }
      }
    }
    removed.sort(null);
    return removed;
  }

  private void removeStaging(String keep) throws IOException {
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, STAGING + "*")) {
      for (Path child : children) {
        if (!child.getFileName().toString().equals(STAGING + keep)) {
          FileTrees.delete(child);
        }
      }
    }
  }

  /**
   * A folder this class made: it holds a compactor manifest. Anything else in DIR is the reader's
   * own.
   */
  private static boolean isCopy(Path folder) {
    Path manifest = folder.resolve(OutputManifest.FILE);
    try {
      return Files.isRegularFile(manifest)
          && OutputManifest.parse(Files.readAllBytes(manifest)) != null;
    } catch (IOException notOurs) {
      return false;
    }
  }

  private static Path inside(Path folder, String relative) {
    Path p = folder.resolve(StorageKeys.requireRelative(relative)).normalize();
    if (!p.startsWith(folder)) {
      throw new IllegalArgumentException(
          "manifest path " + relative + " would land outside " + folder);
    }
    return p;
  }
}
