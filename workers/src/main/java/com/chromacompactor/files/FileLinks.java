package com.chromacompactor.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hard links of local files, for code that may take a file over rather than copy it. */
public final class FileLinks {
  private FileLinks() {}

  /**
   * Whether {@code file} has no other hard link, so that moving it and then writing to it changes
   * no other folder (a bucket's copy, say, had a download linked it). Unknown counts as shared.
   */
  public static boolean soleLink(Path file) {
    try {
      return Files.getAttribute(file, "unix:nlink") instanceof Integer n && n == 1;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }
}
