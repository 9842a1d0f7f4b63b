package com.chromacompactor.aws;

import java.net.URI;
import java.util.Map;

/**
 * Where the AWS clients go: the real endpoints (region and credentials from the default chain), or an
 * endpoint override such as LocalStack's {@code http://127.0.0.1:4566} with path-style S3.
 *
 * @param endpoint null for AWS itself
 */
public record AwsSettings(String region, URI endpoint) {
  public static final String ENDPOINT_VARIABLE = "COMPACTOR_AWS_ENDPOINT";

  /** From the environment: {@code AWS_REGION} (default us-east-1) and {@value #ENDPOINT_VARIABLE}. */
  public static AwsSettings fromEnvironment(Map<String, String> env) {
    String region = env.getOrDefault("AWS_REGION", env.getOrDefault("AWS_DEFAULT_REGION", "us-east-1"));
    String endpoint = env.get(ENDPOINT_VARIABLE);
    return new AwsSettings(region, endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint));
  }

  /** LocalStack on this machine, with its test credentials (set by {@link AwsClients}). */
  public static AwsSettings localStack() {
    return new AwsSettings("us-east-1", URI.create("http://127.0.0.1:4566"));
  }
}
