package com.chromacompactor.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * The LocalStack that the tests on AWS use: on 127.0.0.1:4566, started by scripts/test or by hand.
 */
public final class LocalStackHealth {
  private LocalStackHealth() {}

  /** Fails the test, saying how to start LocalStack, unless its health endpoint answers 200. */
  public static void require() {
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:4566/_localstack/health"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
    } catch (Exception e) {
      fail(
          "LocalStack is not running on 127.0.0.1:4566: start it with scripts/localstack start ("
              + e
              + ")");
    }
  }
}
