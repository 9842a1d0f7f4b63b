package com.chromacompactor.chroma.hnsw;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An index file that is not what hnswlib or Chroma would have written: truncated, inconsistent with
 * its header, or a pickle that is not an id map. The message starts with the file (its folder and
 * name), then says what was expected and what was found. The caller decides whose fault it is (a
 * producer's delta, or a base snapshot) and names that.
 */
public final class CorruptIndexException extends IOException {
  private final String resource;

  public CorruptIndexException(String resource, String detail) {
    this(resource, detail, null);
  }

  public CorruptIndexException(String resource, String detail, Throwable cause) {
    super(resource + ": " + detail, cause);
    this.resource = resource;
  }

  /** A file as messages name it: its folder (the segment id) and its name. */
  public static String resource(Path file) {
    Path folder = file.getParent();
    return folder == null || folder.getFileName() == null
        ? file.toString()
        : folder.getFileName() + "/" + file.getFileName();
  }

  public String resource() {
    return resource;
  }
}
