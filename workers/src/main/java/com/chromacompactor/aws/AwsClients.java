package com.chromacompactor.aws;

import java.time.Duration;
import java.util.List;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
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
 */
public final class AwsClients {
  static final Duration ACTIVITY_POLL_READ_TIMEOUT = Duration.ofSeconds(70);
  private static final Duration API_TIMEOUT = Duration.ofSeconds(30);

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

  public S3Client s3() {
    var b = S3Client.builder()
        .region(Region.of(settings.region()))
        .credentialsProvider(credentials())
        .httpClientBuilder(ApacheHttpClient.builder().socketTimeout(Duration.ofMinutes(5)).maxConnections(32))
        .overrideConfiguration(overrides(Duration.ofMinutes(10)));
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint()).forcePathStyle(true);
    }
    return b.build();
  }

  /** For GetActivityTask long polls and the other Step Functions calls. */
  public SfnClient stepFunctions() {
    var b = SfnClient.builder()
        .region(Region.of(settings.region()))
        .credentialsProvider(credentials())
        .httpClientBuilder(ApacheHttpClient.builder().socketTimeout(ACTIVITY_POLL_READ_TIMEOUT).maxConnections(32))
        .overrideConfiguration(overrides(ACTIVITY_POLL_READ_TIMEOUT.plusSeconds(10)));
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    }
    return b.build();
  }

  public CloudWatchClient cloudWatch() {
    var b = CloudWatchClient.builder()
        .region(Region.of(settings.region()))
        .credentialsProvider(credentials())
        .httpClientBuilder(ApacheHttpClient.builder().socketTimeout(API_TIMEOUT))
        .overrideConfiguration(overrides(API_TIMEOUT));
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    }
    return b.build();
  }

  private ClientOverrideConfiguration overrides(Duration callTimeout) {
    return ClientOverrideConfiguration.builder()
        .retryStrategy(RetryMode.STANDARD)
        .retryStrategy(r -> r.maxAttempts(2))
        .apiCallTimeout(callTimeout)
        .executionInterceptors(interceptors)
        .build();
  }

  private AwsCredentialsProvider credentials() {
    // An endpoint override means LocalStack here; it takes any key and documents test/test.
    return settings.endpoint() != null
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))
        : DefaultCredentialsProvider.builder().build();
  }
}
