package com.chromacompactor.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {
  @TempDir Path tmp;

  @Test
  void deletesATreeWithFilesAndEmptyFoldersAtEveryDepth() throws Exception {
    Path root = tmp.resolve("task-1");
    Files.createDirectories(root.resolve("snapshot/9f1c-segment/empty"));
    Files.writeString(root.resolve("snapshot/chroma.sqlite3"), "rows");
    Files.write(root.resolve("snapshot/9f1c-segment/data_level0.bin"), new byte[4096]);
    Files.writeString(root.resolve("plan.json"), "{}");
    Path sibling = Files.writeString(tmp.resolve("task-10.json"), "kept");
    FileTrees.delete(root);
    assertFalse(Files.exists(root));
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(sibling), left.toList());
    }
  }

  @Test
  void aRootThatDoesNotExistIsNothingToDo() throws Exception {
    FileTrees.delete(tmp.resolve("never-made"));
    assertTrue(Files.isDirectory(tmp));
  }

  @Test
  void aRootThatIsAFileIsDeleted() throws Exception {
    Path file = Files.writeString(tmp.resolve("manifest.json"), "{}");
    FileTrees.delete(file);
    assertFalse(Files.exists(file));
  }

  @Test
  void aLinkInsideIsRemovedButNotWhatItPointsTo() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("bucket/deltas/d-1"));
    Path kept = Files.writeString(outside.resolve("chroma.sqlite3"), "a producer's delta");
    Path root = Files.createDirectories(tmp.resolve("work"));
    Files.createSymbolicLink(root.resolve("d-1"), outside);
    FileTrees.delete(root);
    assertFalse(Files.exists(root));
    assertEquals("a producer's delta", Files.readString(kept));
  }
}
