package com.chromacompactor.audit;

import com.chromacompactor.chroma.CollectionInfo;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.chroma.DeltaReader;
import com.chromacompactor.chroma.EmbeddingRecord;
import com.chromacompactor.chroma.RecordCursor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The workflow's check of a snapshot before it is published, cheaper than {@link SnapshotAudit}
 * (which re-reads every delta) and aimed at what the merge itself cannot see: that the folder it
 * wrote reads back whole. It opens the snapshot as a reader would (schema and migrations, SQLite
 * integrity, index files), streams every record (each needs its live index element and a finite
 * vector of the collection's dimension), and requires per collection as many records as the merge
 * counted, and, in a compacted snapshot, as many live index elements as records. The merge's own
 * count is itself checked against the records it took over, inserted and deleted (see {@code
 * Compaction}), so together they say that nothing was lost between the inputs and the published
 * folder.
 */
public final class SnapshotCheck {
  private SnapshotCheck() {}

  /**
   * The problems found, none if the snapshot holds {@code expected} records per collection and
   * reads whole.
   */
  public static List<String> run(Path snapshot, Map<String, Long> expected) throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, Long> found = new TreeMap<>();
    try (DeltaReader reader = DeltaReader.open(snapshot, DeltaOrigin.COMPACTOR)) {
      boolean compacted = !reader.hasQueuedRecords();
      for (CollectionInfo c : reader.collections()) {
        String name = c.key().toString();
        long records = 0;
        try (RecordCursor cursor = reader.records(c)) {
          while (cursor.advance()) {
            EmbeddingRecord r = cursor.record();
            records++;
            if (c.dimension() != null && r.dimension() != c.dimension()) {
              problems.add(
                  name
                      + "/"
                      + r.id()
                      + ": vector of dimension "
                      + r.dimension()
                      + ", collection has "
                      + c.dimension());
            }
          }
        }
        found.merge(name, records, Long::sum);
        if (compacted && records > 0) {
          long live = reader.liveIndexElements(c);
          if (live != records) {
            problems.add(
                name + ": " + records + " records but " + live + " live elements in its index");
          }
        }
      }
    }
    Set<String> names = new TreeSet<>(expected.keySet());
    names.addAll(found.keySet());
    for (String name : names) {
      long want = expected.getOrDefault(name, 0L);
      long got = found.getOrDefault(name, 0L);
      if (want != got) {
        problems.add(
            name + ": the merge counted " + want + " records, the snapshot reads back " + got);
      }
    }
    return problems;
  }
}
