package com.chromacompactor.storage;

/**
 * Checks keys that come from outside (execution input, plans) before any I/O: a key must stay under
 * its prefix, so "deltas/../latest" or an absolute path can never reach another part of the bucket.
 */
public final class StorageKeys {
  private StorageKeys() {}

  /**
   * A folder key directly or indirectly under {@code prefix}, ending in '/', with no empty, "." or
   * ".." segment and no backslash.
   *
   * @throws IllegalArgumentException naming the key and what is wrong with it
   */
  public static String requireFolderUnder(String prefix, String key) {
    if (key == null || !key.startsWith(prefix) || key.length() == prefix.length()) {
      throw new IllegalArgumentException("key '" + key + "' is not a folder under " + prefix);
    }
    if (!key.endsWith("/")) {
      throw new IllegalArgumentException("key '" + key + "' is not a folder: it must end with '/'");
    }
    requireSafeSegments(key.substring(0, key.length() - 1), key);
    return key;
  }

  /** A relative path inside a folder (an object's name below its prefix), checked the same way. */
  public static String requireRelative(String relative) {
    if (relative.isEmpty() || relative.startsWith("/")) {
      throw new IllegalArgumentException("path '" + relative + "' must be relative and non-empty");
    }
    requireSafeSegments(relative, relative);
    return relative;
  }

  /** Checks the segments of {@code path}; messages name {@code shown}, the key as it was given. */
  private static void requireSafeSegments(String path, String shown) {
    if (path.indexOf('\\') >= 0 || path.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("key '" + shown + "' contains a backslash or NUL");
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty() || ".".equals(segment) || "..".equals(segment)) {
        throw new IllegalArgumentException("key '" + shown + "' has an empty, '.' or '..' segment");
      }
    }
  }

  /** The last segment of a folder key: "deltas/2026-11-26-a/" gives "2026-11-26-a". */
  public static String folderName(String folderKey) {
    String trimmed =
        folderKey.endsWith("/") ? folderKey.substring(0, folderKey.length() - 1) : folderKey;
    return trimmed.substring(trimmed.lastIndexOf('/') + 1);
  }
}
