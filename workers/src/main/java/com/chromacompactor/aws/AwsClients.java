package com.chromacompactor.aws;

import java.time.Duration;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sfn.SfnClient;

/**
 * The SDK clients, configured once. The SDK's own retries are cut to one attempt beyond the first:
 * {@link Resilience} retries with backoff and jitter around every call, and two retry layers would
 * multiply. The Step Functions client reads for 70 s, above the 60 s long poll of GetActivityTask.
 * S3 attempts are timed by {@link AwsSettings.S3Timeouts}: a stalled attempt is abandoned and tried
 * again.
 */
public final class AwsClients {
  static final Duration ACTIVITY_POLL_READ_TIMEOUT = Duration.ofSeconds(70);

  /** Attempts of one call that the SDK makes before {@link Resilience} takes over. */
  static final int SDK_ATTEMPTS = 2;

  private static final Duration API_TIMEOUT = Duration.ofSeconds(30);

  /**
   * No byte from S3 for this long: the connection is dead. It ends a stalled large transfer well
   * before its size-scaled attempt timeout would.
   */
  private static final Duration S3_IDLE_READ_TIMEOUT = Duration.ofSeconds(60);

  /**
   * The SDK's signers log the canonical request at DEBUG, and with a role's credentials it holds
   * the session token ({@code x-amz-security-token}). Kept at INFO even when the rest of the
   * process logs at DEBUG, unless set explicitly (slf4j-simple reads this when the signer's logger
   * is created, at the first request).
   */
  private static final List<String> SIGNER_LOGGERS =
      List.of("software.amazon.awssdk.http.auth", "software.amazon.awssdk.auth.signer");

  static {
    for (String logger : SIGNER_LOGGERS) {
      String property = "org.slf4j.simpleLogger.log." + logger;
      if (System.getProperty(property) == null) {
        System.setProperty(property, "info");
      }
    }
  }

  private final AwsSettings settings;
  private final List<ExecutionInterceptor> interceptors;

  public AwsClients(AwsSettings settings) {
    this(settings, List.of());
  }

  /** With interceptors on every client, e.g. a test's fault injection. */
  public AwsClients(AwsSettings settings, List<ExecutionInterceptor> interceptors) {
    this.settings = settings;
    this.interceptors = List.copyOf(interceptors);
  }

  public AwsSettings settings() {
    return settings;
  }

  /**
   * Every call's attempts are limited to {@link AwsSettings.S3Timeouts#attempt()}; a request that
   * moves an object sets a longer limit for its size ({@code S3BlobStore}).
   */
  public S3Client s3() {
    AwsSettings.S3Timeouts timeouts = settings.s3Timeouts();
    var b =
        S3Client.builder()
            .region(Region.of(settings.region()))
            .credentialsProvider(credentials())
            .httpClientBuilder(
                ApacheHttpClient.builder().socketTimeout(S3_IDLE_READ_TIMEOUT).maxConnections(32))
            .overrideConfiguration(
                overrides(timeouts.call(0)).apiCallAttemptTimeout(timeouts.attempt(0)).build());
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    }
    b.forcePathStyle(settings.addressing() == AwsSettings.S3Addressing.PATH_STYLE);
    return b.build();
  }

  /** For GetActivityTask long polls and the other Step Functions calls. */
  public SfnClient stepFunctions() {
    var b =
        SfnClient.builder()
            .region(Region.of(settings.region()))
            .credentialsProvider(credentials())
            .httpClientBuilder(
                ApacheHttpClient.builder()
                    .socketTimeout(ACTIVITY_POLL_READ_TIMEOUT)
                    .maxConnections(32))
            .overrideConfiguration(overrides(ACTIVITY_POLL_READ_TIMEOUT.plusSeconds(10)).build());
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    }
    return b.build();
  }

  public CloudWatchClient cloudWatch() {
    var b =
        CloudWatchClient.builder()
            .region(Region.of(settings.region()))
            .credentialsProvider(credentials())
            .httpClientBuilder(ApacheHttpClient.builder().socketTimeout(API_TIMEOUT))
            .overrideConfiguration(overrides(API_TIMEOUT).build());
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    }
    return b.build();
  }

  private ClientOverrideConfiguration.Builder overrides(Duration callTimeout) {
    return ClientOverrideConfiguration.builder()
        .retryStrategy(RetryMode.STANDARD)
        .retryStrategy(r -> r.maxAttempts(SDK_ATTEMPTS))
        .apiCallTimeout(callTimeout)
        .executionInterceptors(interceptors);
  }

  private AwsCredentialsProvider credentials() {
    // LocalStack takes any key and documents test/test.
    return settings.credentials() == AwsSettings.CredentialSource.LOCALSTACK_TEST_KEYS
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))
        : DefaultCredentialsProvider.builder().build();
  }
}
