package com.chromacompactor.testing;

import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import java.util.UUID;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A new bucket on LocalStack for tests of the command line against S3. The command line finds its
 * credentials through the default chain, as a user's would: here LocalStack's keys, set as the
 * system properties the chain reads until {@link #close}.
 */
public final class CliBucket implements AutoCloseable {
  /** What the tests pass as {@code --endpoint-url}. */
  public static final String ENDPOINT = "http://127.0.0.1:4566";

  public final S3Client s3;
  public final String name;

  private CliBucket(S3Client s3, String name) {
    this.s3 = s3;
    this.name = name;
  }

  /** A bucket named {@code prefix} and a random suffix. */
  public static CliBucket create(String prefix) {
    System.setProperty("aws.accessKeyId", "test");
    System.setProperty("aws.secretAccessKey", "test");
    S3Client s3 = new AwsClients(AwsSettings.localStack()).s3();
    String name = prefix + UUID.randomUUID().toString().substring(0, 8);
    s3.createBucket(b -> b.bucket(name));
    return new CliBucket(s3, name);
  }

  @Override
  public void close() {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }
}
