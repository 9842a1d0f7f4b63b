package com.chromacompactor.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Where the AWS clients go: the real endpoints (region and credentials from the default chain), or
 * an endpoint override such as LocalStack's {@code http://127.0.0.1:4566} or a MinIO server; whose
 * credentials they sign with; how S3 buckets are addressed; and how long an S3 call may take.
 *
 * @param endpoint null for AWS itself
 * @param credentials where the keys come from
 * @param addressing how S3 requests name the bucket
 */
public record AwsSettings(
    String region,
    URI endpoint,
    S3Timeouts s3Timeouts,
    CredentialSource credentials,
    S3Addressing addressing) {
  public static final String ENDPOINT_VARIABLE = "COMPACTOR_AWS_ENDPOINT";

  /** Where the clients' credentials come from. */
  public enum CredentialSource {
    /**
     * The SDK's default chain: environment, system properties, profile, container or instance role.
     */
    DEFAULT_CHAIN,
    /**
     * LocalStack's documented {@code test}/{@code test} keys: the worker's tests and local runs
     * against LocalStack.
     */
    LOCALSTACK_TEST_KEYS
  }

  /** How an S3 request names its bucket. */
  public enum S3Addressing {
    /** {@code https://bucket.s3.region.amazonaws.com/key}: AWS's default. */
    VIRTUAL_HOSTED,
    /** {@code https://endpoint/bucket/key}: LocalStack, MinIO and other S3-compatible servers. */
    PATH_STYLE
  }

  public AwsSettings {
    if (s3Timeouts == null || credentials == null || addressing == null) {
      throw new IllegalArgumentException("s3Timeouts, credentials and addressing are required");
    }
  }

  /**
   * With {@link S3Timeouts#standard()}. An endpoint override is LocalStack here (its test keys,
   * path-style S3); AWS itself takes the default credential chain and virtual-hosted S3.
   */
  public AwsSettings(String region, URI endpoint) {
    this(region, endpoint, S3Timeouts.standard());
  }

  /** As {@link #AwsSettings(String, URI)}, with these timeouts. */
  public AwsSettings(String region, URI endpoint, S3Timeouts s3Timeouts) {
    this(
        region,
        endpoint,
        s3Timeouts,
        endpoint == null ? CredentialSource.DEFAULT_CHAIN : CredentialSource.LOCALSTACK_TEST_KEYS,
        endpoint == null ? S3Addressing.VIRTUAL_HOSTED : S3Addressing.PATH_STYLE);
  }

  /**
   * What the command line uses: the default credential chain always (a MinIO server has keys of its
   * own), an optional endpoint, and the addressing asked for.
   */
  public static AwsSettings forCommandLine(String region, URI endpoint, S3Addressing addressing) {
    return new AwsSettings(
        region, endpoint, S3Timeouts.standard(), CredentialSource.DEFAULT_CHAIN, addressing);
  }

  /**
   * From the environment: {@code AWS_REGION} (default us-east-1) and {@value #ENDPOINT_VARIABLE}.
   */
  public static AwsSettings fromEnvironment(Map<String, String> env) {
    String region =
        env.getOrDefault("AWS_REGION", env.getOrDefault("AWS_DEFAULT_REGION", "us-east-1"));
    String endpoint = env.get(ENDPOINT_VARIABLE);
    return new AwsSettings(
        region, endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint));
  }

  /** LocalStack on this machine, with its test credentials (set by {@link AwsClients}). */
  public static AwsSettings localStack() {
    return new AwsSettings("us-east-1", URI.create("http://127.0.0.1:4566"));
  }

  public AwsSettings withS3Timeouts(S3Timeouts timeouts) {
    return new AwsSettings(region, endpoint, timeouts, credentials, addressing);
  }

  /**
   * Time limits of S3 calls. Every object moves in one GET or PUT (FolderTransfer copies file by
   * file, no multipart), and the SDK's per-attempt timeout covers the whole body, so an attempt
   * that moves an object gets {@code attempt} plus the time its size takes at {@code
   * minBytesPerSecond}. Any other call (list, delete, small gets and puts) gets {@code attempt}: S3
   * answers those in milliseconds, so one still open by then has stalled. An attempt past its limit
   * is abandoned and tried again.
   *
   * @param attempt one attempt of a call that moves no large body
   * @param minBytesPerSecond the slowest transfer still taken for healthy; below it an attempt
   *     times out
   */
  public record S3Timeouts(Duration attempt, long minBytesPerSecond) {
    public S3Timeouts {
      if (attempt == null || attempt.isNegative() || attempt.isZero() || minBytesPerSecond <= 0) {
        throw new IllegalArgumentException(
            "S3 timeouts must be positive: " + attempt + ", " + minBytesPerSecond);
      }
    }

    /**
     * 30 s per call, plus 1 s per 8 MiB moved: a 5 GiB object, the most one PUT takes, gets 11 min
     * per attempt; in-region transfers run at tens of MiB/s.
     */
    public static S3Timeouts standard() {
      return new S3Timeouts(Duration.ofSeconds(30), 8L << 20);
    }

    /** One attempt of a request that moves {@code bytes} (0 for a call without a large body). */
    public Duration attempt(long bytes) {
      return attempt.plusMillis(Math.max(0, bytes) * 1000 / minBytesPerSecond);
    }

    /**
     * The whole call: every SDK attempt, and one attempt's worth more for the backoff between them.
     */
    public Duration call(long bytes) {
      return attempt(bytes).multipliedBy(AwsClients.SDK_ATTEMPTS + 1);
    }
  }
}
