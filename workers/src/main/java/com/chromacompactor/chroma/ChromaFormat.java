package com.chromacompactor.chroma;

import com.chromacompactor.chroma.hnsw.IdMapForm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The on-disk formats of Chroma, one per release family: the spec of each (docs/chroma-format.md)
 * and the one place that maps a directory's migration set to its family ({@link #detect}). The
 * tables and columns a directory has follow from its {@link MigrationSet}; what its release does
 * with them (sequence ids, id map pickle, configuration, float metadata) follows from its family.
 *
 * <p>The merge and the index builder do not change with the format: {@link DeltaReader} reads every
 * family into the same records, and a snapshot is written in one {@link ChromaTarget}'s family.
 */
public enum ChromaFormat {
  V0_4_EARLY(
      "0.4.0",
      "0.4.14",
      Python.INSTANCE,
      CollectionConfigForm.LEGACY_METADATA,
      List.of(new MigrationSet(3, 1, 1), new MigrationSet(3, 2, 1), new MigrationSet(3, 3, 1))),
  V0_4(
      "0.4.15",
      "0.4.24",
      Python.INSTANCE,
      CollectionConfigForm.LEGACY_METADATA,
      List.of(new MigrationSet(4, 3, 1))),
  V0_5_EARLY(
      "0.5.0",
      "0.5.5",
      Python.INSTANCE,
      CollectionConfigForm.PYTHON_CONFIG,
      List.of(new MigrationSet(5, 3, 1), new MigrationSet(6, 3, 1), new MigrationSet(7, 3, 1))),
  V0_6(
      "0.5.6",
      "0.6.3",
      Python.INSTANCE,
      CollectionConfigForm.PYTHON_CONFIG,
      List.of(new MigrationSet(9, 4, 2))),
  V1_0(
      "1.0.0",
      "1.2.x",
      Rust.INSTANCE,
      CollectionConfigForm.VECTOR_INDEX,
      List.of(new MigrationSet(9, 5, 2))),
  V1_3(
      "1.3.0",
      "1.4.x",
      Rust.INSTANCE,
      CollectionConfigForm.SCHEMA,
      List.of(new MigrationSet(10, 5, 2))),
  V1_5(
      "1.5.0",
      "1.5.9",
      Rust.INSTANCE,
      CollectionConfigForm.SCHEMA,
      List.of(new MigrationSet(10, 6, 2)));

  /** The migrations of chromadb 0.4.0-0.4.3. */
  private static final MigrationSet EARLIEST_SET = new MigrationSet(3, 1, 1);

  /** The newest release whose format this compactor knows. */
  public static final String NEWEST_KNOWN_RELEASE = "1.5.9";

  private final String firstRelease;
  private final String lastRelease;
  private final Core core;
  private final CollectionConfigForm configuration;
  private final List<MigrationSet> migrationSets;

  ChromaFormat(
      String firstRelease,
      String lastRelease,
      Core core,
      CollectionConfigForm configuration,
      List<MigrationSet> migrationSets) {
    this.firstRelease = firstRelease;
    this.lastRelease = lastRelease;
    this.core = core;
    this.configuration = configuration;
    this.migrationSets = migrationSets;
  }

  /** The releases that write this format, e.g. {@code 0.5.6-0.6.3}. */
  public String releases() {
    return firstRelease + "-" + lastRelease;
  }

  /**
   * The migration sets directories of this family have (several where a family added migrations).
   */
  public List<MigrationSet> migrationSets() {
    return migrationSets;
  }

  /** The migration set its newest release writes. */
  public MigrationSet newestMigrationSet() {
    return migrationSets.get(migrationSets.size() - 1);
  }

  public SeqIdEncoding seqIds() {
    return core.seqIds;
  }

  public IdMapForm idMap() {
    return core.idMap;
  }

  public FloatText floats() {
    return core.floats;
  }

  public CollectionConfigForm configuration() {
    return configuration;
  }

  /** The order in which this family's releases apply (and record) the migration folders. */
  public List<String> migrationOrder() {
    return core.migrationOrder;
  }

  /** The {@code migrations} table as this family's releases create it. */
  public String migrationsTableDdl() {
    return core.migrationsDdl;
  }

  /**
   * The write-lock table the Rust core creates before any migration, or null (chromadb 0.x has
   * none).
   */
  public String acquireWriteDdl() {
    return core.acquireWriteDdl;
  }

  /**
   * The {@code embeddings_queue_config} row this family writes, or null when it has no such table.
   */
  public String queueConfigJson() {
    return newestMigrationSet().hasQueueConfig() ? core.queueConfigJson : null;
  }

  /**
   * The sequence number a compacted snapshot of this family marks as applied: 0 for 1.x (no {@code
   * max_seq_id} rows and an empty queue: every later write is above them); 1 for 0.x, whose
   * segments subscribe to the queue from {@code max_seq_id or max(queue seq_id) + 1} and fail on an
   * empty queue at 0, so both segments of every collection are at 1 and one applied queue row at
   * seq 1 keeps the next write at 2 ({@link SysdbWriter#markApplied}).
   */
  public long appliedSeqId() {
    return core == Python.INSTANCE ? 1 : 0;
  }

  /**
   * chromadb 0.x buffers the vector writes it replays from the queue at open, {@code
   * hnsw:batch_size} (default 100) at a time, and answers get() for the last, partial batch from
   * that buffer: vectors as given, not normalised. 1.x has no such buffer: 0.
   */
  public int vectorBatchSize(Map<String, Object> collectionMetadata) {
    if (core != Python.INSTANCE) {
      return 0;
    }
    return collectionMetadata.get("hnsw:batch_size") instanceof Long n && n > 0
        ? Math.toIntExact(n)
        : 100;
  }

  /** Only chromadb 1.5 has array metadata ({@code embedding_metadata_array}, metadb 6). */
  public boolean holdsArrays() {
    return newestMigrationSet().hasArrays();
  }

  /** The family that wrote a directory with these migrations, or null. */
  public static ChromaFormat of(MigrationSet set) {
    for (ChromaFormat f : values()) {
      if (f.migrationSets.contains(set)) {
        return f;
      }
    }
    return null;
  }

  /** A directory's family and exact migration set. */
  public record Detected(ChromaFormat format, MigrationSet migrations) {}

  /**
   * Maps the rows of a directory's {@code migrations} table to its family, after checking each
   * row's text and hash against Chroma's own. Refused, as {@link DeltaProblem#UNSUPPORTED_VERSION}:
   * a migration newer than any release we know (named, with the releases we read and the newest we
   * know), an altered text or hash, and a set no release wrote.
   */
  public static Detected detect(Path delta, List<Migration> rows) throws CorruptDeltaException {
    Map<String, Integer> highest = new LinkedHashMap<>();
    Map<String, List<Integer>> versions = new LinkedHashMap<>();
    Migration variant = null;
    for (Migration m : rows) {
      List<Migration> texts = ChromaMigrations.texts(m.dir(), m.version());
      if (texts.isEmpty()) {
        throw unsupported(
            delta,
            "migration "
                + m.dir()
                + " v"
                + m.version()
                + " ("
                + m.filename()
                + ") is newer than any Chroma release this compactor knows: "
                + readable());
      }
      if (texts.stream().noneMatch(t -> t.md5().equals(m.md5()) && t.sql().equals(m.sql()))) {
        Migration known = texts.get(0);
        boolean sameHash = texts.stream().anyMatch(t -> t.md5().equals(m.md5()));
        throw unsupported(
            delta,
            "migration "
                + m.dir()
                + " v"
                + m.version()
                + ": hash expected "
                + known.md5()
                + ", found "
                + m.md5()
                + (sameHash ? " (SQL text differs)" : "")
                + ": altered after Chroma wrote it");
      }
      if (!texts.get(0).md5().equals(m.md5())) {
        variant = m;
      }
      highest.merge(m.dir(), m.version(), Math::max);
      versions.computeIfAbsent(m.dir(), d -> new ArrayList<>()).add(m.version());
    }
    for (Map.Entry<String, List<Integer>> e : versions.entrySet()) {
      int top = highest.get(e.getKey());
      for (int v = 1; v <= top; v++) {
        if (!e.getValue().contains(v)) {
          throw unsupported(
              delta,
              "migration "
                  + e.getKey()
                  + " v"
                  + v
                  + " is missing below v"
                  + top
                  + ": no Chroma release skips one; "
                  + readable());
        }
      }
    }
    for (String dir :
        List.of(MigrationSet.SYSDB, MigrationSet.METADB, MigrationSet.EMBEDDINGS_QUEUE)) {
      if (!highest.containsKey(dir)) {
        throw unsupported(
            delta,
            "no " + dir + " migration: not a directory any Chroma release wrote; " + readable());
      }
    }
    MigrationSet set =
        new MigrationSet(
            highest.get(MigrationSet.SYSDB),
            highest.get(MigrationSet.METADB),
            highest.get(MigrationSet.EMBEDDINGS_QUEUE));
    ChromaFormat format = of(set);
    if (format == null) {
      throw unsupported(delta, "migrations " + set + " match no Chroma release: " + readable());
    }
    if (variant != null && !set.equals(EARLIEST_SET)) {
      // chromadb 0.4.0's metadb 1 text: any later release refuses it, so no later set can hold it
      throw unsupported(
          delta,
          "migration "
              + variant.dir()
              + " v"
              + variant.version()
              + " has chromadb 0.4.0's text"
              + " (hash "
              + variant.md5()
              + "), but the other migrations ("
              + set
              + ") are of a later release");
    }
    return new Detected(format, set);
  }

  /** The releases this compactor reads, for messages. */
  public static String readable() {
    StringJoiner families = new StringJoiner(", ");
    for (ChromaFormat f : values()) {
      families.add(f.releases());
    }
    return "this compactor reads chromadb "
        + values()[0].firstRelease
        + " to "
        + NEWEST_KNOWN_RELEASE
        + " ("
        + families
        + "); the newest release it knows is "
        + NEWEST_KNOWN_RELEASE;
  }

  private static CorruptDeltaException unsupported(Path delta, String detail) {
    return new CorruptDeltaException(delta, DeltaProblem.UNSUPPORTED_VERSION, detail);
  }

  /** What the releases of one implementation (Python 0.x, Rust 1.x) do alike. */
  private static class Core {
    final SeqIdEncoding seqIds;
    final IdMapForm idMap;
    final FloatText floats;
    final List<String> migrationOrder;
    final String migrationsDdl;
    final String acquireWriteDdl;
    final String queueConfigJson;

    Core(
        SeqIdEncoding seqIds,
        IdMapForm idMap,
        FloatText floats,
        List<String> migrationOrder,
        String migrationsDdl,
        String acquireWriteDdl,
        String queueConfigJson) {
      this.seqIds = seqIds;
      this.idMap = idMap;
      this.floats = floats;
      this.migrationOrder = migrationOrder;
      this.migrationsDdl = migrationsDdl;
      this.acquireWriteDdl = acquireWriteDdl;
      this.queueConfigJson = queueConfigJson;
    }
  }

  /** chromadb 0.4-0.6, the Python implementation. */
  private static final class Python extends Core {
    static final Python INSTANCE = new Python();

    private Python() {
      super(
          SeqIdEncoding.BIG_ENDIAN_BLOB,
          IdMapForm.PERSISTENT_DATA,
          FloatText.PYTHON_JSON,
          List.of(MigrationSet.EMBEDDINGS_QUEUE, MigrationSet.SYSDB, MigrationSet.METADB),
          "CREATE TABLE migrations (\n"
              + "                        dir TEXT NOT NULL,\n"
              + "                        version INTEGER NOT NULL,\n"
              + "                        filename TEXT NOT NULL,\n"
              + "                        sql TEXT NOT NULL,\n"
              + "                        hash TEXT NOT NULL,\n"
              + "                        PRIMARY KEY (dir, version)\n"
              + "                    )",
          null,
          "{\"automatically_purge\": true, \"_type\": \"EmbeddingsQueueConfigurationInternal\"}");
    }
  }

  /** chromadb 1.x, the Rust core. */
  private static final class Rust extends Core {
    static final Rust INSTANCE = new Rust();

    private Rust() {
      super(
          SeqIdEncoding.INTEGER,
          IdMapForm.DICT,
          FloatText.SERDE_JSON,
          List.of(MigrationSet.SYSDB, MigrationSet.METADB, MigrationSet.EMBEDDINGS_QUEUE),
          "CREATE TABLE migrations (\n"
              + "                dir TEXT NOT NULL,\n"
              + "                version INTEGER NOT NULL,\n"
              + "                filename TEXT NOT NULL,\n"
              + "                sql TEXT NOT NULL,\n"
              + "                hash TEXT NOT NULL,\n"
              + "                PRIMARY KEY (dir, version)\n"
              + "            )",
          "CREATE TABLE acquire_write (\n"
              + "                id INTEGER PRIMARY KEY,\n"
              + "                lock_status INTEGER NOT NULL\n"
              + "            )",
          "{\"automatically_purge\":true,\"_type\":\"EmbeddingsQueueConfigurationInternal\"}");
    }
  }
}
