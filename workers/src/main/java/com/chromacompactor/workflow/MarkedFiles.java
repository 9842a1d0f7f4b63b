package com.chromacompactor.workflow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** A downloaded delta checked against the files its commit marker lists: size, then SHA-256. */
final class MarkedFiles {
  private MarkedFiles() {}

  /**
   * What differs between {@code folder} and the marker, for the listed files among {@code only}
   * (null: all of them); empty when they match, or when there is no marker or it lists no files.
   */
  static List<String> check(Optional<DeltaMarker> marker, Path folder, Collection<String> only)
      throws IOException {
    List<String> problems = new ArrayList<>();
    if (marker.isEmpty() || marker.get().files().isEmpty()) {
      return problems;
    }
    for (DeltaMarker.FileEntry f : marker.get().files().get()) {
      if (only != null && !only.contains(f.path())) {
        continue;
      }
      Path file = folder.resolve(f.path());
      if (!Files.isRegularFile(file)) {
        problems.add("missing " + f.path());
        continue;
      }
      long size = Files.size(file);
      if (size != f.size()) {
        problems.add(f.path() + " is " + size + " bytes, the marker says " + f.size());
        continue;
      }
      String sha256 = OutputManifest.sha256(file);
      if (!sha256.equals(f.sha256())) {
        problems.add(f.path() + " has SHA-256 " + sha256 + ", the marker says " + f.sha256());
      }
    }
    return problems;
  }
}
