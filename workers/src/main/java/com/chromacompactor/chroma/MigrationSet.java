package com.chromacompactor.chroma;

/**
 * A directory's migrations by folder: versions 1 to {@code sysdb}, 1 to {@code metadb} and 1 to
 * {@code embeddingsQueue} were applied (Chroma applies each folder's scripts in order, never with a
 * gap). The set says which release line wrote the directory, and which tables and columns it has.
 */
public record MigrationSet(int sysdb, int metadb, int embeddingsQueue) {
  public static final String SYSDB = "sysdb";
  public static final String METADB = "metadb";
  public static final String EMBEDDINGS_QUEUE = "embeddings_queue";

  public MigrationSet {
    if (sysdb < 1 || metadb < 1 || embeddingsQueue < 1) {
      throw new IllegalArgumentException("every folder starts at version 1: " + this);
    }
  }

  /** The highest version of {@code dir}, or 0 for a folder Chroma never had. */
  public int highest(String dir) {
    return switch (dir) {
      case SYSDB -> sysdb;
      case METADB -> metadb;
      case EMBEDDINGS_QUEUE -> embeddingsQueue;
      default -> 0;
    };
  }

  public boolean has(String dir, int version) {
    return version >= 1 && version <= highest(dir);
  }

  // The columns and tables the code relies on, by the migration that made them
  // (docs/chroma-format.md).

  /** sysdb 4: tenants and databases, and {@code collections.database_id}. */
  public boolean hasDatabases() {
    return sysdb >= 4;
  }

  /** sysdb 1 made {@code topic} columns in collections and segments; sysdb 5 dropped them. */
  public boolean hasTopicColumns() {
    return sysdb < 5;
  }

  /** sysdb 6: {@code bool_value} in collection and segment metadata. */
  public boolean hasCollectionBools() {
    return sysdb >= 6;
  }

  /** sysdb 7: {@code collections.config_json_str}. */
  public boolean hasConfigJson() {
    return sysdb >= 7;
  }

  /** sysdb 10: {@code collections.schema_str}. */
  public boolean hasSchema() {
    return sysdb >= 10;
  }

  /** metadb 2: {@code embedding_metadata.bool_value}. */
  public boolean hasRecordBools() {
    return metadb >= 2;
  }

  /** metadb 6: {@code embedding_metadata_array}. */
  public boolean hasArrays() {
    return metadb >= 6;
  }

  /** embeddings_queue 2: {@code embeddings_queue_config}. */
  public boolean hasQueueConfig() {
    return embeddingsQueue >= 2;
  }

  @Override
  public String toString() {
    return SYSDB
        + " "
        + range(sysdb)
        + ", "
        + METADB
        + " "
        + range(metadb)
        + ", "
        + EMBEDDINGS_QUEUE
        + " "
        + range(embeddingsQueue);
  }

  private static String range(int highest) {
    return highest == 1 ? "1" : "1-" + highest;
  }
}
