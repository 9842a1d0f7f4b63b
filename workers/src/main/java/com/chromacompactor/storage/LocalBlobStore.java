package com.chromacompactor.storage;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A bucket laid out as a local folder: key {@code a/b/c} is the file {@code <root>/a/b/c}. Writes
 * go through a temporary file and an atomic rename; conditional writes are serialised in this
 * process and compare an MD5 entity tag, as S3 does for single-part objects.
 */
public final class LocalBlobStore implements BlobStore {
  private static final Object CONDITIONAL_WRITES = new Object();
  private final Path root;

  /** A bucket folder at {@code root}, created if it does not exist (tests, scratch buckets). */
  public LocalBlobStore(Path root) throws IOException {
    this.root = Files.createDirectories(root).toRealPath();
  }

  /**
   * The bucket folder at {@code root}, which must exist: a mistyped path on the command line is an
   * error, not a new empty bucket.
   *
   * @throws NoSuchFileException naming the folder when it does not exist or is not a folder
   */
  public static LocalBlobStore existing(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new NoSuchFileException(
          root.toAbsolutePath().toString(), null, "no such bucket folder");
    }
    return new LocalBlobStore(root);
  }

  public Path root() {
    return root;
  }

  private Path file(String key) {
    Path p = root.resolve(key).normalize();
    if (!p.startsWith(root) || p.equals(root)) {
      throw new IllegalArgumentException("key '" + key + "' escapes the bucket folder");
    }
    return p;
  }

  @Override
  public List<String> listFolders(String prefix) throws IOException {
    Path dir = file(prefix);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> children = Files.list(dir)) {
      return children
          .filter(Files::isDirectory)
          .map(p -> prefix + p.getFileName() + "/")
          .filter(k -> !StorageKeys.folderName(k).startsWith("."))
          .sorted()
          .toList();
    }
  }

  @Override
  public List<Listed> list(String prefix) throws IOException {
    Path dir = prefix.isEmpty() ? root : file(prefix);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Listed> out = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".tmp-")) {
          out.add(
              new Listed(
                  root.relativize(p).toString().replace('\\', '/'),
                  Files.size(p),
                  Files.getLastModifiedTime(p).toInstant()));
        }
      }
    }
    out.sort(Comparator.comparing(Listed::key));
    return out;
  }

  @Override
  public Optional<Blob> get(String key) throws IOException {
    try {
      byte[] body = Files.readAllBytes(file(key));
      return Optional.of(new Blob(body, etag(body)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public void download(String key, Path target) throws IOException {
    Files.createDirectories(target.getParent());
    Files.copy(file(key), target, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void upload(Path source, String key) throws IOException {
    Path target = file(key);
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), ".tmp-", "");
    Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
    move(tmp, target);
  }

  @Override
  public void put(String key, byte[] body) throws IOException {
    Path target = file(key);
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), ".tmp-", "");
    Files.write(tmp, body);
    move(tmp, target);
  }

  @Override
  public boolean putIfAbsent(String key, byte[] body) throws IOException {
    synchronized (CONDITIONAL_WRITES) {
      if (Files.exists(file(key))) {
        return false;
      }
      put(key, body);
      return true;
    }
  }

  @Override
  public boolean putIfMatch(String key, byte[] body, String etag) throws IOException {
    synchronized (CONDITIONAL_WRITES) {
      Optional<Blob> current = get(key);
      if (current.isEmpty() || !current.get().etag().equals(etag)) {
        return false;
      }
      put(key, body);
      return true;
    }
  }

  @Override
  public void delete(List<String> keys) throws IOException {
    for (String key : keys) {
      Path f = file(key);
      Files.deleteIfExists(f);
      // S3 has no folders: an emptied folder disappears there, so it does here
      for (Path dir = f.getParent();
          !dir.equals(root) && isEmptyDirectory(dir);
          dir = dir.getParent()) {
        Files.delete(dir);
      }
    }
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> children = Files.list(dir)) {
      return children.findAny().isEmpty();
    }
  }

  @Override
  public String describe() {
    return root.toString();
  }

  private static void move(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  static String etag(byte[] body) {
    try {
      return "\"" + HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body)) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
