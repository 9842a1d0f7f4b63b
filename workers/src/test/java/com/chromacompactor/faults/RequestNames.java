package com.chromacompactor.faults;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;
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
 * The name of a mutating request, the same in every run from the same start: the S3 key it writes or deletes (a
 * batch id is a hash of the delta keys, so the keys repeat), or the Step Functions call with the task it reports
 * on, such as {@code sfn SUCCESS CompactChunk[1]}. Reads, polls and metrics have no name: they change nothing.
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
   * @param task the task the call reports on (Step Functions), else null: the caller knows its own task
   */
  public record Named(String name, boolean deterministic, TaskRef task) {}

  /** @param tasksByToken the task of an activity task token, as this process received it; null if unknown */
  public static Optional<Named> of(SdkRequest request, Function<String, TaskRef> tasksByToken) {
    if (request instanceof PutObjectRequest put) {
      String condition = put.ifNoneMatch() != null ? " if-none-match" : put.ifMatch() != null ? " if-match" : "";
      return s3("PUT " + put.key() + condition);
    }
    if (request instanceof DeleteObjectRequest delete) {
      return s3("DELETE " + delete.key());
    }
    if (request instanceof DeleteObjectsRequest delete) {
      List<String> keys = delete.delete().objects().stream().map(ObjectIdentifier::key).toList();
      return s3("DELETE-OBJECTS " + commonFolder(keys) + " (" + keys.size() + " keys)");
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
  static String commonFolder(List<String> keys) {
    if (keys.isEmpty()) {
      return "";
    }
    String common = keys.get(0);
    for (String k : keys) {
      int n = 0;
      while (n < common.length() && n < k.length() && common.charAt(n) == k.charAt(n)) {
        n++;
      }
      common = common.substring(0, n);
    }
    return common.substring(0, common.lastIndexOf('/') + 1);
  }

  private static Optional<Named> s3(String what) {
    return Optional.of(new Named("s3 " + what, true, null));
  }

  private static Optional<Named> sfn(String call, TaskRef task, boolean deterministic) {
    return Optional.of(new Named("sfn " + call + " " + (task == null ? "?" : task.label()), deterministic, task));
  }
}
