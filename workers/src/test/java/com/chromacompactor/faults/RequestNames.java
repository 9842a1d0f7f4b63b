package com.chromacompactor.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.sfn.model.SendTaskFailureRequest;
import software.amazon.awssdk.services.sfn.model.SendTaskHeartbeatRequest;
import software.amazon.awssdk.services.sfn.model.SendTaskSuccessRequest;

/**
 * The name of a mutating request, the same in every run from the same start: the S3 key it writes
 * or deletes (a batch id is a hash of the delta keys, so the keys repeat), or the Step Functions
 * call with the task it reports on, such as {@code sfn SUCCESS CompactChunk[1]}. Reads, polls and
 * metrics have no name: they change nothing.
 */
public final class RequestNames {
  private RequestNames() {}

  /** The workflow task a call belongs to: its step and, for CompactChunk, its chunk index. */
  public record TaskRef(String step, Integer chunk) {
    public String label() {
      return step + (chunk == null ? "" : "[" + chunk + "]");
    }
  }

  /**
   * A named request.
   *
   * @param task the task the call reports on (Step Functions), else null: the caller knows its own
   *     task
   */
  public record Named(String name, boolean deterministic, TaskRef task) {}

  /**
   * @param tasksByToken the task of an activity task token, as this process received it; null if
   *     unknown
   */
  public static Optional<Named> of(SdkRequest request, Function<String, TaskRef> tasksByToken) {
    if (request instanceof PutObjectRequest put) {
      String condition =
          put.ifNoneMatch() != null ? " if-none-match" : put.ifMatch() != null ? " if-match" : "";
      return s3("PUT " + stableKey(put.key()) + condition);
    }
    if (request instanceof DeleteObjectRequest delete) {
      return s3("DELETE " + delete.key());
    }
    if (request instanceof DeleteObjectsRequest delete) {
      List<String> keys = delete.delete().objects().stream().map(ObjectIdentifier::key).toList();
      return s3("DELETE-OBJECTS " + folders(keys));
    }
    if (request instanceof CopyObjectRequest copy) {
      return s3("COPY " + copy.destinationKey());
    }
    if (request instanceof CreateMultipartUploadRequest create) {
      return s3("MULTIPART-CREATE " + create.key());
    }
    if (request instanceof UploadPartRequest part) {
      return s3("MULTIPART-PART " + part.key() + " #" + part.partNumber());
    }
    if (request instanceof CompleteMultipartUploadRequest complete) {
      return s3("MULTIPART-COMPLETE " + complete.key());
    }
    if (request instanceof AbortMultipartUploadRequest abort) {
      return s3("MULTIPART-ABORT " + abort.key());
    }
    if (request instanceof SendTaskSuccessRequest success) {
      return sfn("SUCCESS", tasksByToken.apply(success.taskToken()), true);
    }
    if (request instanceof SendTaskFailureRequest failure) {
      return sfn("FAILURE", tasksByToken.apply(failure.taskToken()), true);
    }
    if (request instanceof SendTaskHeartbeatRequest heartbeat) {
      return sfn("HEARTBEAT", tasksByToken.apply(heartbeat.taskToken()), false);
    }
    return Optional.empty();
  }

  /** The folder every key is under (up to its last '/'), or "" when they share none. */
  /**
   * A segment folder in a delta is named by a UUID that chromadb drew at random when the producer
   * made it.
   */
  private static final Pattern DELTA_SEGMENT =
      Pattern.compile(
          "^(deltas/[^/]+/)[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}/");

  /**
   * The key, with a delta's random segment folder named {@code <segment>/}: the same in every JVM.
   */
  static String stableKey(String key) {
    return DELTA_SEGMENT.matcher(key).replaceFirst("$1<segment>/");
  }

  /**
   * The folders a batch delete reaches and the names of its files, without its key count: {@code
   * deltas/d01-words/ snapshots/b-1/ [_delta.json manifest.json]}. A run after a fault may find
   * leftovers in the same folders, so a count would change from run to run, and the name with it;
   * the file names tell the collection's waves apart (markers and manifests first, then the files).
   */
  static String folders(List<String> keys) {
    Set<String> folders = new TreeSet<>();
    Set<String> files = new TreeSet<>();
    for (String k : keys) {
      String[] parts = k.split("/", -1);
      folders.add(
          k.startsWith("plans/processed/")
              ? "plans/processed/"
              : parts.length > 2
                  ? parts[0] + "/" + parts[1] + "/"
                  : parts[0] + (parts.length > 1 ? "/" : ""));
      files.add(parts[parts.length - 1]);
    }
    return abbreviate(folders, " folders") + " [" + abbreviate(files, " files") + "]";
  }

  private static String abbreviate(Set<String> names, String what) {
    List<String> list = new ArrayList<>(names);
    return list.size() <= 4
        ? String.join(" ", list)
        : String.join(" ", list.subList(0, 3)) + " and " + (list.size() - 3) + " more" + what;
  }

  private static Optional<Named> s3(String what) {
    return Optional.of(new Named("s3 " + what, true, null));
  }

  private static Optional<Named> sfn(String call, TaskRef task, boolean deterministic) {
    return Optional.of(
        new Named("sfn " + call + " " + (task == null ? "?" : task.label()), deterministic, task));
  }
}
