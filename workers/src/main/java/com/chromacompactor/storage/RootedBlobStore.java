package com.chromacompactor.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A part of a bucket seen as a bucket of its own: every key is rooted under {@code root} ({@code
 * "lines/"}, or the prefix of {@code s3://name/prefix}), and nothing outside it can be named. A
 * lineage's workflow and a CLI given a bucket prefix both work through one, so the steps keep the
 * key layout of the bucket's root.
 */
public final class RootedBlobStore implements BlobStore {
  private final BlobStore bucket;
  private final String root;

  private RootedBlobStore(BlobStore bucket, String root) {
    this.bucket = bucket;
    this.root = root;
  }

  /**
   * {@code bucket} itself when {@code root} is empty, else the view under it.
   *
   * @param root a folder key ending in '/', with safe segments (see {@link
   *     StorageKeys#requireRelative}), or ""
   */
  public static BlobStore under(BlobStore bucket, String root) {
    if (root.isEmpty()) {
      return bucket;
    }
    if (!root.endsWith("/")) {
      throw new IllegalArgumentException("root '" + root + "' must end with '/'");
    }
    StorageKeys.requireRelative(root.substring(0, root.length() - 1));
    if (bucket instanceof RootedBlobStore r) {
      return new RootedBlobStore(r.bucket, r.root + root);
    }
    return new RootedBlobStore(bucket, root);
  }

  private String strip(String key) {
    if (!key.startsWith(root)) {
      throw new IllegalStateException("the bucket listed " + key + " under " + root);
    }
    return key.substring(root.length());
  }

  @Override
  public List<String> listFolders(String prefix) throws IOException {
    return bucket.listFolders(root + prefix).stream().map(this::strip).toList();
  }

  @Override
  public List<Listed> list(String prefix) throws IOException {
    return bucket.list(root + prefix).stream()
        .map(o -> new Listed(strip(o.key()), o.size(), o.lastModified()))
        .toList();
  }

  @Override
  public Optional<Blob> get(String key) throws IOException {
    return bucket.get(root + key);
  }

  @Override
  public void download(String key, Path target) throws IOException {
    bucket.download(root + key, target);
  }

  @Override
  public void download(Listed object, Path target) throws IOException {
    bucket.download(new Listed(root + object.key(), object.size(), object.lastModified()), target);
  }

  @Override
  public void upload(Path source, String key) throws IOException {
    bucket.upload(source, root + key);
  }

  @Override
  public void put(String key, byte[] body) throws IOException {
    bucket.put(root + key, body);
  }

  @Override
  public boolean putIfAbsent(String key, byte[] body) throws IOException {
    return bucket.putIfAbsent(root + key, body);
  }

  @Override
  public boolean putIfMatch(String key, byte[] body, String etag) throws IOException {
    return bucket.putIfMatch(root + key, body, etag);
  }

  @Override
  public void delete(List<String> keys) throws IOException {
    bucket.delete(keys.stream().map(k -> root + k).toList());
  }

  /** The bucket and the root: {@code s3://bucket/lines} or {@code /data/bucket/lines}. */
  @Override
  public String describe() {
    return bucket.describe() + "/" + root.substring(0, root.length() - 1);
  }
}
