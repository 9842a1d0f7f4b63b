package com.chromacompactor.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Copies a folder of objects to a local directory and back, one object at a time. */
public final class FolderTransfer {
  private FolderTransfer() {}

  /**
   * Downloads every object under {@code prefix} into {@code target}, keeping relative paths.
   *
   * @return the number of objects
   */
  public static int download(BlobStore store, String prefix, Path target) throws IOException {
    List<BlobStore.Listed> objects = store.list(prefix);
    Files.createDirectories(target);
    for (BlobStore.Listed object : objects) {
      String relative = StorageKeys.requireRelative(object.key().substring(prefix.length()));
      Path file = target.resolve(relative).normalize();
      if (!file.startsWith(target)) {
        throw new IllegalArgumentException(
            "object " + object.key() + " would land outside " + target);
      }
      store.download(object, file);
    }
    return objects.size();
  }

  /**
   * Uploads every file under {@code source} below {@code prefix}; {@code last} (a relative path, or
   * null) goes last, so that its presence means the whole folder is there.
   */
  public static int upload(BlobStore store, Path source, String prefix, String last)
      throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(source)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    Path lastFile = last == null ? null : source.resolve(last);
    for (Path f : files) {
      if (!f.equals(lastFile)) {
        store.upload(f, prefix + source.relativize(f).toString().replace('\\', '/'));
      }
    }
    if (lastFile != null && Files.isRegularFile(lastFile)) {
      store.upload(lastFile, prefix + last);
    }
    return files.size();
  }
}
