package com.chromacompactor.storage;

import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.aws.AwsSettings.S3Timeouts;
import com.chromacompactor.aws.Resilience;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The compaction bucket on S3. Every call goes through {@link Resilience} (backoff with jitter,
 * circuit breaker); conditional writes use {@code If-None-Match: *} and {@code If-Match: <etag>},
 * and a 412 (or a 409 from a concurrent conditional write) means "someone else wrote first".
 *
 * <p>Each file moves in one request, whose attempts get the time its size needs ({@link
 * S3Timeouts}); every other call keeps the client's short per-attempt limit.
 */
public final class S3BlobStore implements BlobStore {
  private final S3Client s3;
  private final String bucket;
  private final Resilience resilience;
  private final S3Timeouts timeouts;

  /**
   * With {@link S3Timeouts#standard()}, as {@link AwsSettings#fromEnvironment} gives the client.
   */
  public S3BlobStore(S3Client s3, String bucket, Resilience resilience) {
    this(s3, bucket, resilience, S3Timeouts.standard());
  }

  /**
   * @param timeouts the client's ({@link AwsSettings#s3Timeouts()}), which transfers extend by size
   */
  public S3BlobStore(S3Client s3, String bucket, Resilience resilience, S3Timeouts timeouts) {
    this.s3 = s3;
    this.bucket = bucket;
    this.resilience = resilience;
    this.timeouts = timeouts;
  }

  @Override
  public List<String> listFolders(String prefix) {
    List<String> out = new ArrayList<>();
    resilience.run(
        "list " + prefix,
        () ->
            s3
                .listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix).delimiter("/"))
                .commonPrefixes()
                .stream()
                .map(CommonPrefix::prefix)
                .forEach(out::add));
    out.sort(null);
    return out;
  }

  @Override
  public List<Listed> list(String prefix) {
    List<Listed> out = new ArrayList<>();
    resilience.run(
        "list " + prefix,
        () ->
            s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(o -> new Listed(o.key(), o.size(), o.lastModified()))
                .forEach(out::add));
    out.sort(Comparator.comparing(Listed::key));
    return out;
  }

  @Override
  public Optional<Blob> get(String key) {
    try {
      ResponseBytes<GetObjectResponse> r =
          resilience.call("get " + key, () -> s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)));
      return Optional.of(new Blob(r.asByteArray(), r.response().eTag()));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }

  /** The attempt timeout covers the body too, so an object's size is asked for before its GET. */
  @Override
  public void download(String key, Path target) throws IOException {
    HeadObjectResponse head;
    try {
      head = resilience.call("head " + key, () -> s3.headObject(b -> b.bucket(bucket).key(key)));
    } catch (NoSuchKeyException e) {
      throw new NoSuchFileException(describe() + "/" + key);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new NoSuchFileException(
            describe() + "/" + key); // HEAD answers 404 without an error code
      }
      throw e;
    }
    download(new Listed(key, head.contentLength(), head.lastModified()), target);
  }

  /** The listing gave the size: no HEAD. */
  @Override
  public void download(Listed object, Path target) throws IOException {
    String key = object.key();
    long size = object.size();
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling(target.getFileName() + ".part");
    resilience.run(
        "get " + key,
        () -> {
          try {
            Files.deleteIfExists(tmp);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          s3.getObject(
              b -> b.bucket(bucket).key(key).overrideConfiguration(transfer(size)),
              ResponseTransformer.toFile(tmp));
        });
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void upload(Path source, String key) throws IOException {
    long size = Files.size(source);
    resilience.run(
        "put " + key,
        () ->
            s3.putObject(
                b -> b.bucket(bucket).key(key).overrideConfiguration(transfer(size)),
                RequestBody.fromFile(source)));
  }

  /**
   * Limits for a request that moves {@code bytes}: longer than the client's, which suit small
   * calls.
   */
  private Consumer<AwsRequestOverrideConfiguration.Builder> transfer(long bytes) {
    return o ->
        o.apiCallAttemptTimeout(timeouts.attempt(bytes)).apiCallTimeout(timeouts.call(bytes));
  }

  @Override
  public void put(String key, byte[] body) {
    resilience.run(
        "put " + key,
        () -> s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body)));
  }

  @Override
  public boolean putIfAbsent(String key, byte[] body) {
    return conditional(
        key,
        () ->
            s3.putObject(
                b -> b.bucket(bucket).key(key).ifNoneMatch("*"), RequestBody.fromBytes(body)));
  }

  @Override
  public boolean putIfMatch(String key, byte[] body, String etag) {
    return conditional(
        key,
        () ->
            s3.putObject(
                b -> b.bucket(bucket).key(key).ifMatch(etag), RequestBody.fromBytes(body)));
  }

  private boolean conditional(String key, Runnable write) {
    try {
      resilience.run("conditional put " + key, write);
      return true;
    } catch (S3Exception e) {
      if (e.statusCode() == 412 || e.statusCode() == 409) {
        return false; // 409: a concurrent conditional write to the same key is in progress
      }
      if (e.statusCode() == 404) {
        return false; // If-Match against a key that no longer exists
      }
      throw e;
    }
  }

  /**
   * Deletes in requests of up to 1,000 keys, in the order given. A key that is already gone counts
   * as deleted. A key that S3 refuses (the quiet response lists only those) fails the call, naming
   * it: a transient refusal (a 5xx code) as {@link TransientStorageException}, any other
   * (AccessDenied, ...) as a plain {@link IOException}.
   */
  @Override
  public void delete(List<String> keys) throws IOException {
    for (int i = 0; i < keys.size(); i += 1000) {
      List<ObjectIdentifier> ids =
          keys.subList(i, Math.min(keys.size(), i + 1000)).stream()
              .map(k -> ObjectIdentifier.builder().key(k).build())
              .toList();
      DeleteObjectsResponse r =
          resilience.call(
              "delete " + ids.size() + " objects",
              () ->
                  s3.deleteObjects(
                      b ->
                          b.bucket(bucket)
                              .delete(Delete.builder().objects(ids).quiet(true).build())));
      if (r.hasErrors() && !r.errors().isEmpty()) {
        S3Error first = r.errors().get(0);
        String message =
            describe()
                + ": "
                + r.errors().size()
                + " of "
                + ids.size()
                + " objects were not deleted,"
                + " first "
                + first.key()
                + " ("
                + first.code()
                + ": "
                + first.message()
                + ")";
        boolean transientCode =
            r.errors().stream().allMatch(e -> TRANSIENT_DELETE_CODES.contains(e.code()));
        throw transientCode ? new TransientStorageException(message) : new IOException(message);
      }
    }
  }

  /** Per-key codes of DeleteObjects that may pass when the delete is made again. */
  private static final Set<String> TRANSIENT_DELETE_CODES =
      Set.of("InternalError", "ServiceUnavailable", "SlowDown");

  @Override
  public String describe() {
    return "s3://" + bucket;
  }
}
