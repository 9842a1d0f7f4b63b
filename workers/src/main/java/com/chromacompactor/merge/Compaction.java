package com.chromacompactor.merge;

import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.CollectionKey;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.chroma.EmbeddingRecord;
import com.chromacompactor.chroma.RecordCursor;
import com.chromacompactor.chroma.SqliteCheck;
import com.chromacompactor.chroma.hnsw.HnswSegmentWriter;
import com.chromacompactor.invariant.InvariantViolation;
import com.chromacompactor.metrics.HeapGauge;
import com.chromacompactor.snapshot.CollectionSlot;
import com.chromacompactor.snapshot.QueueSnapshotWriter;
import com.chromacompactor.snapshot.SeededCollection;
import com.chromacompactor.snapshot.SnapshotDirectory;
import com.chromacompactor.snapshot.SnapshotWriter;
import com.chromacompactor.snapshot.StoredRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Compacts deltas, in the order given, into one new snapshot directory.
 *
 * <pre>
 *   base snapshot:   seed (the writer takes it over as it stands), or merge it as the first delta
 *   for each delta:  begin ─► tombstones ─► open + validate ─► stream records ─► upsert ─► commit
 *                                      (any failure: rollback, the delta leaves no trace)
 *   finish (sysdb rows) ─► check counts ─► rename staging folder to the destination
 * </pre>
 *
 * A delta that is not complete yet ({@link DeltaNotReadyException} on open) is left out and listed
 * as deferred. In a versioned compaction ({@link CompactionOptions.VersionTracking#TRACK}, the
 * workflow's) every write and delete also passes the {@link VersionGate}: it applies only at or
 * after the id's last recorded operation, so a late delta never overwrites a newer write nor brings
 * back an id deleted after it, and the output keeps {@link RecordVersions#FILE}. A late upsert that
 * loses to a newer one loses whole: none of its metadata keys or document is merged in.
 *
 * <p>Memory holds one record, one delta's vector-location map and a few collection entries; records
 * spill straight into the snapshot's SQLite file.
 */
public final class Compaction {
  private final CompactionListener listener;
  private final SnapshotWriter.Factory writers;

  /** A compaction that writes queue-route snapshots. */
  public Compaction(CompactionListener listener) {
    this(listener, QueueSnapshotWriter::create);
  }

  public Compaction(CompactionListener listener, SnapshotWriter.Factory writers) {
    this.listener = listener;
    this.writers = writers;
  }

  /** Compacts local delta folders, in order, into a snapshot at {@code destination}. */
  public CompactionSummary run(List<Path> deltas, Path destination) throws IOException {
    return run(DeltaFeed.of(deltas), destination, CompactionOptions.snapshot());
  }

  /**
   * Writes the output at {@code destination}, which must not exist. On any failure nothing is left
   * there and the exception names the delta and the reason.
   */
  public CompactionSummary run(DeltaFeed deltas, Path destination, CompactionOptions options)
      throws IOException {
    long start = System.nanoTime();
    Counts total = new Counts();
    List<CompactionSummary.RefusedDelta> refused = new ArrayList<>();
    List<CompactionSummary.DeferredDelta> deferred = new ArrayList<>();
    CollectionRegistry registry = new CollectionRegistry();
    Path baseCopy = null;
    BaseCheck baseCheck = null;
    VersionGate gate = null;
    try (SnapshotDirectory dir = SnapshotDirectory.beside(destination);
        SnapshotWriter writer = writers.create(dir.staging(), dir.scratch());
        TombstoneLog carried = new TombstoneLog(dir.scratch())) {
      writer.indexing(listener);
      Path versionsFile = dir.scratch().resolve(RecordVersions.FILE);
      if (options.versions() == CompactionOptions.VersionTracking.TRACK && !deltas.baseFirst()) {
        gate = VersionGate.open(versionsFile, options.reference());
      }
      for (int i = 0; i < deltas.size(); i++) {
        Counts counts = new Counts();
        boolean base = i == 0 && deltas.baseFirst();
        Path local;
        try {
          local = deltas.open(i);
        } catch (DeltaNotReadyException e) {
          if (base) {
            throw e;
          }
          deferred.add(new CompactionSummary.DeferredDelta(deltas.name(i), e.detail()));
          continue; // not merged at all: nothing to roll back
        } catch (CorruptDeltaException e) {
          if (options.badDeltas() == CompactionOptions.BadDeltaPolicy.FAIL || base) {
            throw e;
          }
          refused.add(new CompactionSummary.RefusedDelta(deltas.name(i), e.problem(), e.detail()));
          continue;
        }
        SqliteCheck check = deltas.sqliteCheck(i);
        if (base && check == SqliteCheck.QUICK_CHECK && !deltas.disposable(i)) {
          // A folder the caller keeps: checked on another thread while its files are copied and
          // the index built, and awaited before the snapshot is published.
          baseCheck = BaseCheck.start(local);
          check = SqliteCheck.CHECKED_ALONGSIDE;
        }
        if (base) {
          // The writer may read the base's files until it finishes, so its copy stays until the
          // end.
          baseCopy = local;
          if (options.versions() == CompactionOptions.VersionTracking.TRACK) {
            Path seed = local.resolve(RecordVersions.FILE);
            // Seeded before the writer takes the base over: the base's own store is not a file of
            // the snapshot.
            gate =
                VersionGate.open(
                    versionsFile,
                    Files.isRegularFile(seed) ? seed : null,
                    deltas.disposable(i) ? VersionGate.SeedFile.MOVE : VersionGate.SeedFile.COPY,
                    options.reference());
          }
          Optional<List<SeededCollection>> seeded =
              writer.seed(
                  local,
                  deltas.disposable(i)
                      ? HnswSegmentWriter.BaseFiles.MOVE
                      : HnswSegmentWriter.BaseFiles.COPY,
                  check);
          for (SeededCollection c : seeded.orElse(List.of())) {
            registry.accept(local, c.info(), writer::collection);
            total.seeded += c.records();
          }
          if (seeded.isPresent()) {
            listener.deltaMerged(i + 1, deltas.size(), local, total.read);
            continue;
          }
        }
        registry.begin();
        writer.begin(deltas.origin(i));
        carried.begin();
        if (gate != null) {
          gate.begin();
        }
        boolean merged = false;
        Throwable failure = null; // kept when a rollback fails too: the cause, not the rollback
        try (VersionSource versions =
            gate == null ? VersionSource.UNVERSIONED : versionsOf(deltas, i, local)) {
          mergeDelta(
              local,
              deltas.origin(i),
              check,
              writer,
              registry,
              counts,
              options,
              options.tombstones() == CompactionOptions.TombstoneHandling.APPLY_AND_CARRY
                  ? carried
                  : null,
              gate,
              versions);
          writer.commit();
          registry.commit();
          if (gate != null) {
            gate.commit();
          }
          merged = true;
        } catch (CorruptDeltaException e) {
          if (options.badDeltas() == CompactionOptions.BadDeltaPolicy.FAIL || base) {
            failure = e;
            throw e; // a base snapshot is never skipped: that would drop every record it holds
          }
          // rolled back below: the delta leaves no trace, and the rest goes on
          refused.add(new CompactionSummary.RefusedDelta(deltas.name(i), e.problem(), e.detail()));
          counts = new Counts();
        } catch (IOException | RuntimeException | Error e) {
          failure = e;
          throw e;
        } finally {
          if (!merged) {
            try {
              writer.rollback();
              registry.rollback();
              carried.rollback();
              if (gate != null) {
                gate.rollback();
              }
            } catch (IOException | RuntimeException r) {
              // SQLite ends a transaction itself on some errors (a corrupt page), and the rollback
              // then fails: the error that caused it is the one to report.
              if (failure == null) {
                throw r;
              }
              failure.addSuppressed(r);
            }
          }
          if (!base) {
            deltas.release(i, local);
          }
        }
        total.add(counts);
        listener.deltaMerged(i + 1, deltas.size(), local, total.read);
      }
      Map<CollectionKey, Long> written = writer.finish(registry.definitions());
      long live = written.values().stream().mapToLong(Long::longValue).sum();
      // Every record is accounted for: those taken over from the base, plus inserted, minus
      // deleted.
      long expected = total.seeded + total.inserted - total.deleted;
      if (live != expected) {
        throw new InvariantViolation(
            "snapshot check failed: "
                + live
                + " records written, but the merge counted "
                + expected
                + " live records ("
                + total.seeded
                + " from the base, "
                + total.inserted
                + " inserted, "
                + total.deleted
                + " deleted)");
      }
      if (!carried.isEmpty()) {
        carried.writeTo(dir.staging());
      }
      if (gate != null) {
        gate.close();
        gate = null;
        Files.move(versionsFile, dir.staging().resolve(RecordVersions.FILE));
      }
      writer.close();
      if (baseCheck != null) {
        baseCheck.await();
      }
      dir.publish();
      Map<String, Long> byName = new TreeMap<>();
      written.forEach((key, count) -> byName.merge(key.toString(), count, Long::sum));
      return new CompactionSummary(
          deltas.size(),
          registry.size(),
          total.read,
          live,
          total.overwritten,
          total.deleted,
          HeapGauge.peakHeapMb(),
          (System.nanoTime() - start) / 1e9,
          byName,
          refused,
          total.superseded,
          deferred);
    } catch (IOException | RuntimeException e) {
      CorruptDeltaException fault = baseCheck == null ? null : baseCheck.faultOr(e);
      if (fault != null) {
        throw fault;
      }
      throw e;
    } finally {
      if (gate != null) {
        gate.close();
      }
      if (baseCopy != null) {
        deltas.release(0, baseCopy);
      }
    }
  }

  /**
   * A producer's delta has one version from the feed; a compactor output records its own per id.
   */
  private static VersionSource versionsOf(DeltaFeed deltas, int index, Path local)
      throws IOException {
    if (deltas.origin(index) == DeltaOrigin.COMPACTOR) {
      return VersionSource.ofOutput(local);
    }
    return VersionSource.of(
        deltas
            .version(index)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "a versioned compaction needs the version of every producer delta; none for "
                            + deltas.name(index))));
  }

  private static void mergeDelta(
      Path delta,
      DeltaOrigin origin,
      SqliteCheck check,
      SnapshotWriter writer,
      CollectionRegistry registry,
      Counts counts,
      CompactionOptions options,
      TombstoneLog carried,
      VersionGate gate,
      VersionSource versions)
      throws IOException {
    // Tombstones first: they delete what earlier deltas wrote (see Tombstones).
    Tombstones.read(
        delta,
        (collection, id) -> {
          if (!options.takes(collection)) {
            return;
          }
          if (gate != null) {
            DeltaVersion version = versions.deleted(collection, id);
            if (!gate.admits(collection, id, version)) {
              counts.superseded++; // the id was written or deleted again after this delete
              return;
            }
            gate.deleted(collection, id, version);
          }
          if (carried != null) {
            carried.add(collection, id);
          }
          CollectionSlot slot = registry.slotOf(CollectionKey.named(collection));
          StoredRecord stored = slot == null ? null : writer.find(slot, id);
          if (stored != null) {
            writer.delete(stored);
            counts.deleted++;
          }
        });
    if (Tombstones.present(delta) && !Files.exists(delta.resolve(DeltaReader.SQLITE_FILE))) {
      return; // a delta of deletes only
    }
    try (DeltaReader reader = DeltaReader.open(delta, origin, check)) {
      writer.metadataAsStored(origin == DeltaOrigin.COMPACTOR && !reader.hasQueuedRecords());
      for (CollectionInfo c : reader.collections()) {
        if (!options.takes(c.key().name())) {
          continue;
        }
        CollectionSlot slot = registry.accept(delta, c, writer::collection);
        String collection = c.key().name();
        try (RecordCursor cursor = reader.records(c)) {
          while (cursor.advance()) {
            EmbeddingRecord r = cursor.record();
            counts.read++;
            if (gate != null) {
              DeltaVersion version = versions.written(collection, r.id());
              if (!gate.admits(collection, r.id(), version)) {
                counts.superseded++; // a newer write or delete of the id is recorded: it wins whole
                continue;
              }
              gate.wrote(collection, r.id(), version);
            }
            StoredRecord stored = writer.find(slot, r.id());
            if (stored == null) {
              writer.insert(slot, r);
              counts.inserted++;
            } else {
              writer.replace(stored, Upsert.apply(stored.record(), r));
              counts.overwritten++;
            }
          }
        }
      }
    } catch (CorruptDeltaException e) {
      throw e;
    } catch (IOException e) {
      // Storage failures of the snapshot itself are not the delta's fault, but name it for context.
      throw new IOException("while merging delta " + delta + ": " + e.getMessage(), e);
    }
  }

  /** Record counters of a delta or of the run. */
  private static final class Counts {
    long seeded; // the run's only: records taken over from the base
    long read;
    long inserted;
    long overwritten;
    long deleted;
    long superseded;

    void add(Counts c) {
      read += c.read;
      inserted += c.inserted;
      overwritten += c.overwritten;
      deleted += c.deleted;
      superseded += c.superseded;
    }
  }
}
