package com.chromacompactor.workflow;

import com.chromacompactor.activity.ActivityHandler;
import com.chromacompactor.activity.TaskContext;
import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.PublishInput;
import com.chromacompactor.statemachine.contract.PublishOutput;
import com.chromacompactor.statemachine.contract.StorageLayout;
import com.chromacompactor.storage.BlobStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;

/**
 * Publish: points {@code latest} at the new snapshot with a conditional write that succeeds only if
 * {@code latest} still names the snapshot the merge started from. Of two runs merged on the same
 * base, exactly one publishes; the other fails with {@code Publish.Conflict}. Before that, every
 * file of the snapshot's manifest must be in the bucket (FinalMerge checked the folder before
 * uploading it). A retry after a publish that succeeded finds {@code latest} already pointing here
 * and succeeds again, and so does a conditional write whose answer was lost and whose retry
 * therefore fails its own precondition.
 */
final class PublishStep implements ActivityHandler {
  private final BlobStore bucket;

  PublishStep(BlobStore bucket) {
    this.bucket = bucket;
  }

  @Override
  public String handle(String inputJson, TaskContext context) throws Exception {
    PublishInput input = ContractJson.input(inputJson, PublishInput.class);
    BatchStore store = new BatchStore(bucket, input.lineage());
    String prefix = BatchStore.snapshotPrefix(input.batchId());
    ContractJson.require(
        prefix.equals(input.snapshotPrefix()),
        "snapshotPrefix must be " + prefix + ", got " + input.snapshotPrefix());
    OutputManifest manifest =
        store
            .manifest(prefix)
            .orElseThrow(
                () ->
                    new TaskFailure(
                        ErrorNames.INVALID_INPUT,
                        prefix + " has no manifest: FinalMerge did not complete"));
    OutputManifest.Base base = manifest.base();
    Optional<OutputManifest.Base> latest = store.latest();
    if (latest.isPresent() && latest.get().prefix().equals(prefix)) {
      return ContractJson.output(new PublishOutput(prefix, base.prefix()));
    }
    // Every file the manifest lists is in the bucket (a PUT is atomic, so a present object is
    // whole).
    List<String> missing =
        new ArrayList<>(manifest.files().keySet().stream().map(f -> prefix + f).toList());
    missing.removeAll(new HashSet<>(store.blobs.listKeys(prefix)));
    if (!missing.isEmpty()) {
      throw new TaskFailure(
          ErrorNames.UNEXPECTED,
          prefix
              + " is incomplete in the bucket, not published: "
              + missing.size()
              + " of its files are missing, first "
              + missing.stream().limit(5).toList());
    }
    byte[] pointer = prefix.getBytes(StandardCharsets.UTF_8);
    boolean swapped =
        base.etag() == null
            ? store.blobs.putIfAbsent(StorageLayout.LATEST_KEY, pointer)
            : store.blobs.putIfMatch(StorageLayout.LATEST_KEY, pointer, base.etag());
    if (!swapped) {
      // A conditional write whose answer was lost is retried by the client, and the retry meets its
      // own write: the
      // precondition fails, yet latest names this snapshot. That is a publish, not a conflict.
      Optional<OutputManifest.Base> now = store.latest();
      if (now.isPresent() && now.get().prefix().equals(prefix)) {
        context.progress(
            "published "
                + prefix
                + " (previous: "
                + base.prefix()
                + "; the write's answer was lost)");
        return ContractJson.output(new PublishOutput(prefix, base.prefix()));
      }
      latest = now;
      throw new TaskFailure(
          ErrorNames.PUBLISH_CONFLICT,
          "latest moved while "
              + prefix
              + " was merged: it was "
              + (base.prefix() == null ? "absent" : base.prefix())
              + ", now "
              + latest.map(OutputManifest.Base::prefix).orElse("absent")
              + "; "
              + prefix
              + " is not published");
    }
    context.progress("published " + prefix + " (previous: " + base.prefix() + ")");
    return ContractJson.output(new PublishOutput(prefix, base.prefix()));
  }
}
