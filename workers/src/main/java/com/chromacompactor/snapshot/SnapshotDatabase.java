package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.chroma.ConfigSources;
import com.chromacompactor.chroma.SysdbWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.sqlite.SQLiteConfig;

/**
 * A snapshot's {@code chroma.sqlite3} while a writer builds it, with the writer's scratch tables in
 * a private SQLite file attached as {@code scratch}, so that one transaction per delta covers both.
 * The snapshot writers share it: {@link #create} (Chroma's schema for the target) or {@link
 * #takeOver} (a copy of a previous snapshot's file), {@link #commit}/{@link #rollback} per delta,
 * {@link #finish} (the scratch file detached and deleted, Chroma's journal mode), {@link #close}.
 */
final class SnapshotDatabase implements AutoCloseable {
  /**
   * A fixed queue timestamp instead of the column's CURRENT_TIMESTAMP: the same deltas then give a
   * byte-identical file, so a retried task writes what the first attempt wrote. Chroma only filters
   * queue rows by {@code created_at <= now}, which this passes.
   */
  static final String CREATED_AT = "2000-01-01 00:00:00";

  private final Path sqlite;
  private final Path scratch;
  private final Connection db;

  private SnapshotDatabase(Path sqlite, Path scratch, Connection db) {
    this.sqlite = sqlite;
    this.scratch = scratch;
    this.db = db;
  }

  /** Creates {@code sqlite} with Chroma's schema as {@code target}'s release writes it. */
  static SnapshotDatabase create(Path sqlite, Path scratch, String scratchDdl, ChromaTarget target)
      throws IOException {
    return open(sqlite, scratch, scratchDdl, target);
  }

  /**
   * Opens {@code sqlite}, a copy of a previous snapshot's file that has Chroma's schema already.
   */
  static SnapshotDatabase takeOver(Path sqlite, Path scratch, String scratchDdl)
      throws IOException {
    return open(sqlite, scratch, scratchDdl, null);
  }

  private static SnapshotDatabase open(
      Path sqlite, Path scratch, String scratchDdl, ChromaTarget schemaOf) throws IOException {
    Connection db = null;
    boolean success = false;
    try {
      Files.deleteIfExists(scratch);
      SQLiteConfig config = new SQLiteConfig();
      // Otherwise sqlite-jdbc prepares and runs "SELECT last_insert_rowid()" after every INSERT,
      // for
      // getGeneratedKeys, which nothing here calls: a quarter of the merge's SQLite time on 100 x
      // 250.
      config.setGetGeneratedKeys(false);
      db = DriverManager.getConnection("jdbc:sqlite:" + sqlite, config.toProperties());
      try (Statement st = db.createStatement()) {
        // The folder is private until it is renamed into place; a crash discards it, so the
        // build needs no fsyncs and no journal on disk. The rollback journal stays, for per-delta
        // rollback, in memory: the pages one delta touches, not a file written for every delta.
        st.execute("PRAGMA synchronous=OFF");
        st.execute("PRAGMA journal_mode=MEMORY");
        st.execute("PRAGMA foreign_keys=OFF");
        st.execute("ATTACH DATABASE '" + scratch.toString().replace("'", "''") + "' AS scratch");
        st.execute("PRAGMA scratch.journal_mode=MEMORY");
        st.execute("PRAGMA scratch.synchronous=OFF");
        st.execute(scratchDdl);
      }
      db.setAutoCommit(false);
      if (schemaOf != null) {
        SysdbWriter.createSchema(db, schemaOf.format());
      }
      db.commit();
      success = true;
      return new SnapshotDatabase(sqlite, scratch, db);
    } catch (SQLException e) {
      throw new IOException("creating snapshot " + sqlite + ": " + e.getMessage(), e);
    } finally {
      if (!success && db != null) {
        try {
          db.close();
        } catch (SQLException suppressed) {
          // the open already failed; that failure is the one to report
        }
      }
    }
  }

  Connection connection() {
    return db;
  }

  void commit() throws IOException {
    try {
      db.commit();
    } catch (SQLException e) {
      throw new IOException("committing to snapshot " + sqlite + ": " + e.getMessage(), e);
    }
  }

  /** Undoes everything since the last commit: the delta being merged leaves no trace. */
  void rollback() throws IOException {
    try {
      db.rollback();
    } catch (SQLException e) {
      throw new IOException("rolling back snapshot " + sqlite + ": " + e.getMessage(), e);
    }
  }

  /** Writes the sysdb rows of every collection in {@code target}'s form. */
  void writeCollections(ChromaTarget target, List<CollectionDefinition> collections)
      throws SQLException {
    Set<String> databases = new HashSet<>();
    for (SysdbWriter.CollectionRow row : rows(collections)) {
      SysdbWriter.writeCollection(db, target.format(), row, databases);
    }
  }

  /** Marks a compacted snapshot's collections applied, as {@link SysdbWriter#markApplied} says. */
  void markApplied(ChromaTarget target, List<CollectionDefinition> collections)
      throws SQLException {
    SysdbWriter.markApplied(db, target.format(), rows(collections), CREATED_AT);
  }

  private static List<SysdbWriter.CollectionRow> rows(List<CollectionDefinition> collections) {
    List<SysdbWriter.CollectionRow> out = new ArrayList<>();
    for (CollectionDefinition c : collections) {
      CollectionSlot s = c.slot();
      out.add(
          new SysdbWriter.CollectionRow(
              s.key(),
              s.collectionId(),
              s.metadataSegmentId(),
              s.vectorSegmentId(),
              c.dimension(),
              s.hnsw(),
              ConfigSources.of(c.configJson(), c.schemaJson(), c.metadata())));
    }
    return out;
  }

  /**
   * Commits and leaves a plain Chroma file: the scratch file detached and deleted, the journal mode
   * Chroma's ({@code delete}).
   */
  void finish() throws SQLException, IOException {
    db.commit();
    db.setAutoCommit(true);
    try (Statement st = db.createStatement()) {
      st.execute("DETACH DATABASE scratch");
      st.execute("PRAGMA journal_mode=DELETE");
    }
    Files.deleteIfExists(scratch);
  }

  @Override
  public void close() throws IOException {
    try {
      db.close();
    } catch (SQLException e) {
      throw new IOException("closing snapshot " + sqlite + ": " + e.getMessage(), e);
    } finally {
      Files.deleteIfExists(scratch);
    }
  }
}
