package com.chromacompactor.chroma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one place that maps a migration set to its release family, on migration rows in memory: every
 * family's sets are recognised, and each refusal names what is wrong (real directories of each
 * family are read in ReleaseCompatibilityTest).
 */
class ChromaFormatTest {
  private static final Path DELTA = Path.of("deltas/d-1");

  private static List<Migration> rows(MigrationSet set, ChromaFormat family) {
    return new ArrayList<>(ChromaMigrations.of(set, family.migrationOrder()));
  }

  private static String refusal(List<Migration> rows) {
    CorruptDeltaException e =
        assertThrows(CorruptDeltaException.class, () -> ChromaFormat.detect(DELTA, rows));
    assertEquals(DeltaProblem.UNSUPPORTED_VERSION, e.problem());
    assertEquals(DELTA, e.delta());
    return e.detail();
  }

  @Test
  void everyMigrationSetOfEveryFamilyMapsToItsFamily() throws Exception {
    int sets = 0;
    for (ChromaFormat family : ChromaFormat.values()) {
      for (MigrationSet set : family.migrationSets()) {
        ChromaFormat.Detected d = ChromaFormat.detect(DELTA, rows(set, family));
        assertEquals(family, d.format(), set.toString());
        assertEquals(set, d.migrations());
        sets++;
      }
    }
    assertEquals(
        11,
        sets,
        "0.4.0-0.4.3, 0.4.4-0.4.5, 0.4.6-0.4.14, 0.4.15+, 0.5.0, 0.5.1-0.5.3, 0.5.4-0.5.5, 0.5.6+, 1.0, 1.3, 1.5");
    assertEquals(ChromaFormat.V1_5, ChromaFormat.detect(DELTA, ChromaMigrations.all()).format());
  }

  @Test
  void theMetadbTextChromadb040ShippedIsThatReleasesAndNoLaterOnes() throws Exception {
    Migration shipped = ChromaMigrations.texts("metadb", 1).get(1);
    assertEquals("70f0dbf83da2f428f30d78b7d994cbbb", shipped.md5());
    List<Migration> rows = rows(new MigrationSet(3, 1, 1), ChromaFormat.V0_4_EARLY);
    rows.replaceAll(m -> m.dir().equals("metadb") ? shipped : m);
    assertEquals(ChromaFormat.V0_4_EARLY, ChromaFormat.detect(DELTA, rows).format());

    List<Migration> later = rows(new MigrationSet(3, 3, 1), ChromaFormat.V0_4_EARLY);
    later.replaceAll(m -> m.dir().equals("metadb") && m.version() == 1 ? shipped : m);
    assertEquals(
        "migration metadb v1 has chromadb 0.4.0's text (hash 70f0dbf83da2f428f30d78b7d994cbbb), but the"
            + " other migrations (sysdb 1-3, metadb 1-3, embeddings_queue 1) are of a later release",
        refusal(later));
  }

  @Test
  void aMigrationNewerThanAnyKnownReleaseNamesWhatWeReadAndTheNewestWeKnow() {
    List<Migration> rows = new ArrayList<>(ChromaMigrations.all());
    rows.add(
        new Migration(
            "sysdb",
            11,
            "00011-future.sqlite.sql",
            "ALTER TABLE x ADD COLUMN y;\n",
            ChromaMigrations.md5("ALTER TABLE x ADD COLUMN y;\n")));
    assertEquals(
        "migration sysdb v11 (00011-future.sqlite.sql) is newer than any Chroma release this compactor"
            + " knows: this compactor reads chromadb 0.4.0 to 1.5.9 (0.4.0-0.4.14, 0.4.15-0.4.24, 0.5.0-0.5.5,"
            + " 0.5.6-0.6.3, 1.0.0-1.2.x, 1.3.0-1.4.x, 1.5.0-1.5.9); the newest release it knows is 1.5.9",
        refusal(rows));
  }

  @Test
  void aMigrationFolderNoReleaseHadIsNewerToo() {
    List<Migration> rows = new ArrayList<>(ChromaMigrations.all());
    rows.add(new Migration("logdb", 1, "00001-log.sqlite.sql", "x", ChromaMigrations.md5("x")));
    assertTrue(
        refusal(rows)
            .startsWith("migration logdb v1 (00001-log.sqlite.sql) is newer than any Chroma"));
  }

  @Test
  void anAlteredHashIsRefusedNamingBoth() {
    List<Migration> rows = new ArrayList<>(ChromaMigrations.all());
    Migration m = rows.get(2);
    rows.set(
        2,
        new Migration(
            m.dir(), m.version(), m.filename(), m.sql(), "00000000000000000000000000000000"));
    assertEquals(
        "migration sysdb v3: hash expected 42d22d0574d31d419c2a0e7f625c93aa, found"
            + " 00000000000000000000000000000000: altered after Chroma wrote it",
        refusal(rows));
  }

  @Test
  void anAlteredTextUnderTheRightHashIsRefused() {
    List<Migration> rows = new ArrayList<>(ChromaMigrations.all());
    Migration m = rows.get(2);
    rows.set(2, new Migration(m.dir(), m.version(), m.filename(), m.sql() + " ", m.md5()));
    assertEquals(
        "migration sysdb v3: hash expected 42d22d0574d31d419c2a0e7f625c93aa, found"
            + " 42d22d0574d31d419c2a0e7f625c93aa (SQL text differs): altered after Chroma wrote it",
        refusal(rows));
  }

  @Test
  void aGapInAFolderIsRefused() {
    List<Migration> rows = new ArrayList<>(ChromaMigrations.all());
    rows.removeIf(m -> m.dir().equals("sysdb") && m.version() == 5);
    assertTrue(
        refusal(rows)
            .startsWith("migration sysdb v5 is missing below v10: no Chroma release skips one;"));
  }

  @Test
  void aSetNoReleaseWroteIsRefusedWithTheSet() {
    List<Migration> rows = new ArrayList<>(ChromaMigrations.all());
    rows.removeIf(m -> m.dir().equals("metadb") && m.version() > 3);
    assertTrue(
        refusal(rows)
            .startsWith(
                "migrations sysdb 1-10, metadb 1-3, embeddings_queue 1-2 match no Chroma"
                    + " release: this compactor reads chromadb 0.4.0 to 1.5.9"));
  }

  @Test
  void aFolderWithNoMigrationIsRefused() {
    List<Migration> rows = new ArrayList<>(ChromaMigrations.all());
    rows.removeIf(m -> m.dir().equals("embeddings_queue"));
    assertTrue(
        refusal(rows)
            .startsWith(
                "no embeddings_queue migration: not a directory any Chroma release wrote;"));
  }

  @Test
  void targetsNameTheReadersTheyServe() {
    assertEquals(ChromaTarget.V1_5, ChromaTarget.parse(null));
    assertEquals(ChromaTarget.V0_6, ChromaTarget.parse("0.6"));
    assertEquals(ChromaFormat.V1_0, ChromaTarget.parse("1.0").format());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ChromaTarget.parse("0.5"));
    assertEquals(
        "unknown Chroma version '0.5': expected 0.6 (readers on chromadb 0.5.6-0.6.3), 1.0 (readers on"
            + " chromadb 1.0-1.2), 1.3 (readers on chromadb 1.3-1.4), 1.5 (readers on chromadb 1.5)",
        e.getMessage());
  }
}
