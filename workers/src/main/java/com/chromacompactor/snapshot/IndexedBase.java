package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.ChromaTarget;
import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.chroma.HnswConfig;
import com.chromacompactor.chroma.SqliteCheck;
import com.chromacompactor.chroma.hnsw.BaseIndex;
import com.chromacompactor.chroma.hnsw.CorruptIndexException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A previous snapshot as the start of a new one: whether it can be taken over as it stands, and its
 * index folders. It asks the base only through {@link DeltaReader}: the SQL on Chroma's tables
 * stays in the format layer.
 */
final class IndexedBase {
  private IndexedBase() {}

  /**
   * A collection of a base that can be taken over: its description, live records and index (null if
   * empty).
   */
  record Collection(CollectionInfo info, long records, BaseIndex index) {}

  /**
   * What to do with a base: take it over ({@code collections} set), or merge it as a delta, and
   * why; in either case the base's collections whose indexes a merged base may still lend ({@code
   * extendable}, empty when the base is of another format).
   */
  record Plan(List<Collection> collections, String reasonToMerge, List<CollectionInfo> extendable) {
    static Plan merge(String reason, List<CollectionInfo> extendable) {
      return new Plan(null, reason, extendable);
    }

    boolean takeOver() {
      return collections != null;
    }
  }

  /**
   * Whether the indexed writer can take {@code base}'s {@code chroma.sqlite3} over as it stands: a
   * compacted state this writer wrote in {@code target}'s format (nothing in the queue or {@code
   * max_seq_id} past {@link com.chromacompactor.chroma.ChromaFormat#appliedSeqId()}, no WAL,
   * collection and segment ids derived as {@link CollectionSlot} derives them, every record in a
   * collection's metadata segment) and, per collection with records, an index that fits its
   * parameters. Otherwise (a queue-route snapshot, one Chroma wrote, one for another release line)
   * the base is merged as a delta, for the reason given. A base that is not a valid Chroma
   * directory at all is refused, as any delta would be, and one whose index files are broken is
   * {@code CORRUPT_HNSW}.
   */
  static Plan plan(Path base, ChromaTarget target, SqliteCheck check) throws IOException {
    if (Files.exists(base.resolve(DeltaReader.SQLITE_FILE + "-wal"))) {
      return Plan.merge("it has a write-ahead log", List.of());
    }
    try (DeltaReader reader = DeltaReader.open(base, DeltaOrigin.COMPACTOR, check)) {
      if (reader.format() != target.format()) {
        return Plan.merge(
            "it is in the format of chromadb "
                + reader.format().releases()
                + ", the target is "
                + target.readers()
                + " (--chroma-version "
                + target.version()
                + ")",
            List.of());
      }
      List<CollectionInfo> infos = reader.collections();
      long applied = target.format().appliedSeqId();
      if (reader.highestQueueSeq() > applied
          || reader.maxSeqIdValues().stream().anyMatch(v -> v != applied)) {
        return Plan.merge(
            "it holds queue rows or max_seq_id rows past "
                + applied
                + " (not a compacted snapshot of this compactor)",
            infos);
      }
      List<Collection> out = new ArrayList<>();
      long total = 0;
      for (CollectionInfo info : reader.collections()) {
        CollectionSlot derived = CollectionSlot.of(0, info);
        if (!derived.collectionId().equals(info.id())
            || !derived.metadataSegmentId().equals(info.metadataSegmentId())
            || !derived.vectorSegmentId().equals(info.vectorSegmentId())) {
          return Plan.merge(
              "collection " + info.key() + " has ids this compactor did not derive", infos);
        }
        long records = reader.segmentRecords(info);
        BaseIndex index = null;
        if (records > 0) {
          if (info.dimension() == null) {
            return Plan.merge("collection " + info.key() + " has records but no dimension", infos);
          }
          index = open(base, info.vectorSegmentId(), info.hnsw(), info.dimension());
          if (index == null) {
            return Plan.merge(
                "collection " + info.key() + " has no index this run can extend", infos);
          }
          if (index.records() != records) {
            // Every record must have its element: a base whose rows and index disagree would lose
            // records.
            // The count is checked here, and each record's element when the id map is written.
            throw new CorruptDeltaException(
                base,
                DeltaProblem.CORRUPT_HNSW,
                "collection "
                    + info.key()
                    + ": "
                    + records
                    + " records but "
                    + index.records()
                    + " of them have a live element in the index "
                    + info.vectorSegmentId());
          }
        }
        total += records;
        out.add(new Collection(info, records, index));
      }
      if (reader.embeddingRows() != total) {
        return Plan.merge("it has records outside its collections' metadata segments", infos);
      }
      return new Plan(List.copyOf(out), null, infos);
    }
  }

  /**
   * The index of {@code slot}'s collection in a base whose collections are {@code extendable}
   * (matched by tenant, database and name), or null: no such collection, or an index this run
   * cannot extend.
   */
  static BaseIndex find(
      Path base, List<CollectionInfo> extendable, CollectionSlot slot, int dimension)
      throws CorruptDeltaException {
    for (CollectionInfo info : extendable) {
      if (info.key().equals(slot.key())) {
        return open(base, info.vectorSegmentId(), slot.hnsw(), dimension);
      }
    }
    return null;
  }

  private static BaseIndex open(Path base, String segment, HnswConfig hnsw, int dimension)
      throws CorruptDeltaException {
    try {
      return BaseIndex.open(
          base.resolve(segment), hnsw.params(dimension), hnsw.space().vectorForm());
    } catch (NoSuchFileException e) {
      throw new CorruptDeltaException(
          base, DeltaProblem.MISSING_HNSW, segment + ": " + e.getFile() + " is missing", e);
    } catch (CorruptIndexException e) {
      throw corrupt(base, e);
    } catch (IOException e) {
      throw new CorruptDeltaException(base, DeltaProblem.CORRUPT_HNSW, segment + ": " + e, e);
    }
  }

  /** A base whose index files or id map disagree with its rows: refused, naming the base. */
  static CorruptDeltaException corrupt(Path base, CorruptIndexException e) {
    return new CorruptDeltaException(base, DeltaProblem.CORRUPT_HNSW, e.getMessage(), e);
  }
}
