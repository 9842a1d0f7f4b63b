package com.chromacompactor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point down: what a package may import of the compactor's other packages, read from
 * the sources.
 */
class PackageDependenciesTest {
  private static final Path SOURCES = Path.of("src/main/java/com/chromacompactor");
  private static final Pattern IMPORT =
      Pattern.compile("(?m)^import (?:static )?com\\.chromacompactor\\.([a-z]+)\\.");

  @Test
  void theActivityRuntimeDoesNotReachIntoTheSnapshotWriters() throws IOException {
    TreeSet<String> used = importedPackages("activity");
    assertTrue(
        !used.contains("snapshot") && !used.contains("merge") && !used.contains("workflow"),
        used.toString());
  }

  @Test
  void invariantsAndFileTreesDependOnNothingOfTheCompactor() throws IOException {
    assertEquals(List.of(), List.copyOf(importedPackages("invariant")));
    assertEquals(List.of(), List.copyOf(importedPackages("files")));
  }

  @Test
  void theBucketKnowsOnlyAwsNotTheFormatNorTheMerge() throws IOException {
    assertEquals(List.of("aws"), List.copyOf(importedPackages("storage")));
  }

  @Test
  void theReaderKnowsTheBucketAndTheManifestNotTheEngineNorTheRuntime() throws IOException {
    assertEquals(
        List.of("files", "statemachine", "storage", "workflow"),
        List.copyOf(importedPackages("reader")));
  }

  /**
   * The compactor packages that the sources of {@code pkg} (and its sub-packages) import, itself
   * left out.
   */
  private static TreeSet<String> importedPackages(String pkg) throws IOException {
    TreeSet<String> used = new TreeSet<>();
    Path dir = SOURCES.resolve(pkg);
    assertTrue(Files.isDirectory(dir), dir.toAbsolutePath().toString());
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = IMPORT.matcher(Files.readString(f));
        while (m.find()) {
          used.add(m.group(1));
        }
      }
    }
    used.remove(pkg);
    return used;
  }
}
