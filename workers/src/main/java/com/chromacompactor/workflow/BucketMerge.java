package com.chromacompactor.workflow;

import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaOrigin;
import com.chromacompactor.merge.Compaction;
import com.chromacompactor.merge.CompactionOptions;
import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.merge.DeltaVersion;
import com.chromacompactor.metrics.TaskMetrics;
import com.chromacompactor.snapshot.SnapshotWriter;
import com.chromacompactor.statemachine.contract.CompactionMode;
import com.chromacompactor.storage.BlobStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One compaction of folders in the bucket (a chunk's deltas, or a final merge's inputs) into a
 * local folder, with progress and metrics for the task, and refusals that name the bucket key.
 *
 * @param start what the merge starts from: nothing, or the published snapshot that is its first
 *     input
 * @param versions the version of each producer delta by key, for a versioned compaction (empty
 *     otherwise)
 * @param writers what the merge writes: intermediates take the queue route, snapshots the indexed
 *     one
 */
record BucketMerge(
    List<String> inputs,
    MergeStart start,
    DeltaOrigin origin,
    Map<String, DeltaVersion> versions,
    CompactionMode mode,
    CompactionOptions options,
    SnapshotWriter.Factory writers) {

  /** Inputs without versions: an unversioned compaction. */
  BucketMerge(
      List<String> inputs,
      MergeStart start,
      DeltaOrigin origin,
      CompactionMode mode,
      CompactionOptions options,
      SnapshotWriter.Factory writers) {
    this(inputs, start, origin, Map.of(), mode, options, writers);
  }

  CompactionSummary run(BlobStore blobs, Path out, TaskContext context, TaskMetrics metrics)
      throws IOException {
    try (BlobDeltaFeed feed =
        new BlobDeltaFeed(
            blobs, inputs, start, origin, versions, context.workDir(), mode, context)) {
      try {
        return new Compaction(MergeProgress.listener(context, metrics, feed), writers)
            .run(feed, out, options);
      } catch (CorruptDeltaException e) {
        throw feed.relocate(e);
      }
    }
  }
}
