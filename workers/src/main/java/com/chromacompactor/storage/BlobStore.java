package com.chromacompactor.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The compaction bucket: S3 in production, a local folder for local runs and tests. Keys use '/' as
 * the separator; a "folder" is a key prefix ending in '/'.
 */
public interface BlobStore {
  /** An object's body with the entity tag that conditional writes compare against. */
  record Blob(byte[] body, String etag) {}

  /** The immediate sub-folders of {@code prefix} (each ending in '/'), sorted. */
  List<String> listFolders(String prefix) throws IOException;

  /**
   * An object found by {@link #list}: its size in bytes and when it was last written (S3's {@code
   * LastModified}, a local file's modification time), which tells whether a producer is still
   * uploading.
   */
  record Listed(String key, long size, Instant lastModified) {}

  /** Every object under {@code prefix}, at any depth, sorted by key. */
  List<Listed> list(String prefix) throws IOException;

  /** Every key under {@code prefix}, at any depth, sorted. */
  default List<String> listKeys(String prefix) throws IOException {
    return list(prefix).stream().map(Listed::key).toList();
  }

  Optional<Blob> get(String key) throws IOException;

  /**
   * Downloads one object.
   *
   * @throws java.nio.file.NoSuchFileException when there is no object at {@code key}
   */
  void download(String key, Path target) throws IOException;

  /**
   * Downloads an object a listing found: its size is known, which a store need not ask for again.
   */
  default void download(Listed object, Path target) throws IOException {
    download(object.key(), target);
  }

  void upload(Path source, String key) throws IOException;

  void put(String key, byte[] body) throws IOException;

  /** Writes only if no object exists at {@code key}; false if one does. */
  boolean putIfAbsent(String key, byte[] body) throws IOException;

  /** Writes only if the object's entity tag is still {@code etag}; false otherwise. */
  boolean putIfMatch(String key, byte[] body, String etag) throws IOException;

  void delete(List<String> keys) throws IOException;

  /** A name for messages: {@code s3://bucket} or the folder. */
  String describe();
}
