package com.chromacompactor.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-id version store and the late-arrival rule it serves. */
class RecordVersionsTest {
  @TempDir Path tmp;

  private static DeltaVersion v(long sequence, String key) {
    return new DeltaVersion(sequence, key);
  }

  @Test
  void versionsOrderBySequenceThenKeyAndNeverByKeyAlone() {
    List<DeltaVersion> sorted =
        List.of(v(2, "deltas/z/"), v(10, "deltas/a/"), v(10, "deltas/b/")).stream()
            .sorted()
            .toList();
    assertEquals(List.of(v(2, "deltas/z/"), v(10, "deltas/a/"), v(10, "deltas/b/")), sorted);
    assertEquals(v(10, "deltas/b/"), DeltaVersion.max(v(10, "deltas/a/"), v(10, "deltas/b/")));
    assertThrows(IllegalArgumentException.class, () -> v(-1, "deltas/a/"));
  }

  @Test
  void writesAndDeletesAreRecordedPerIdAndRolledBackPerDelta() throws Exception {
    Path file = tmp.resolve(RecordVersions.FILE);
    try (RecordVersions store = RecordVersions.create(file)) {
      store.recordWrite("words", "w1", v(5, "deltas/a/"));
      store.recordDelete("words", "w2", v(5, "deltas/a/"));
      store.commit();
      store.begin();
      store.recordWrite("words", "w1", v(9, "deltas/b/"));
      store.recordWrite("lines", "w1", v(9, "deltas/b/"));
      store.rollback(); // a refused delta leaves no trace
      store.recordDelete("words", "w1", v(7, "deltas/c/"));
      store.commit();
      RecordVersions.RecordVersion w1 = store.find("words", "w1").orElseThrow();
      assertEquals(v(5, "deltas/a/"), w1.written());
      assertEquals(v(7, "deltas/c/"), w1.deleted());
      assertEquals(v(7, "deltas/c/"), w1.last());
      assertEquals(Optional.empty(), store.find("lines", "w1"), "rolled back");
      assertEquals(
          v(5, "deltas/a/"),
          store.find("words", "w2").orElseThrow().last(),
          "a delete of an unknown id");
    }
    try (RecordVersions again = RecordVersions.openReadOnly(file)) {
      assertEquals(
          v(7, "deltas/c/"),
          again.find("words", "w1").orElseThrow().last(),
          "read back from the file");
      assertThrows(
          IllegalStateException.class, () -> again.recordWrite("words", "x", v(1, "deltas/a/")));
    }
    assertFalse(
        Files.exists(tmp.resolve(RecordVersions.FILE + "-journal")), "no journal left beside it");
  }

  @Test
  void theGateAdmitsAnOperationAtOrAfterTheIdsLastOneOnly() throws Exception {
    Path reference = tmp.resolve("reference.sqlite3");
    try (RecordVersions published = RecordVersions.create(reference)) {
      published.recordWrite("words", "newer", v(10, "deltas/n/"));
      published.recordDelete("words", "deleted", v(10, "deltas/n/"));
    }
    try (VersionGate gate = VersionGate.open(tmp.resolve("out.sqlite3"), reference)) {
      assertFalse(
          gate.admits("words", "newer", v(4, "deltas/late/")), "a late write loses to a newer one");
      assertFalse(gate.admits("words", "deleted", v(4, "deltas/late/")), "and to a newer delete");
      assertTrue(
          gate.admits("words", "newer", v(10, "deltas/n/")), "the same delta again applies again");
      assertFalse(
          gate.admits("words", "newer", v(10, "deltas/m/")), "an equal sequence: the key decides");
      assertTrue(gate.admits("words", "newer", v(10, "deltas/o/")));
      assertTrue(gate.admits("words", "unknown", v(0, "deltas/a/")), "nothing recorded: applies");
      assertTrue(gate.admits("words", "newer", null), "unversioned: applies");
      gate.wrote("words", "unknown", v(3, "deltas/b/"));
      assertFalse(
          gate.admits("words", "unknown", v(2, "deltas/a/")),
          "the output's own record counts first");
    }
  }

  @Test
  void aFileOfAnotherFormatIsRefusedNamingIt() throws Exception {
    Path other = tmp.resolve("other.sqlite3");
    Files.write(other, "not sqlite".getBytes());
    IOException e = assertThrows(IOException.class, () -> RecordVersions.openReadOnly(other));
    assertTrue(
        e.getMessage().startsWith(other + ": not a readable chroma-compactor/record-versions file"),
        e.getMessage());
  }
}
