package com.chromacompactor.aws;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Retry with exponential backoff and full jitter, inside a circuit breaker, for one AWS service. A
 * call is retried only when it may pass on its own: throttling, 5xx, and client-side I/O failures
 * (resets, read timeouts, the SDK's attempt and call timeouts). Once retries run out, or the
 * breaker is open, the caller gets a {@link TransientAwsException}, which the activity runtime
 * reports as {@code Storage.Transient}.
 */
public final class Resilience {
  private final String service;
  private final Retry retry;
  private final CircuitBreaker breaker;

  /** Settings of one policy; tests shorten the waits. */
  public record Policy(int maxAttempts, Duration firstWait, Duration maxWait, int breakerWindow) {
    public static Policy standard() {
      return new Policy(6, Duration.ofMillis(200), Duration.ofSeconds(20), 20);
    }
  }

  public Resilience(String service, Policy policy) {
    this.service = service;
    this.retry =
        Retry.of(
            service,
            RetryConfig.custom()
                .maxAttempts(policy.maxAttempts())
                .intervalFunction(fullJitter(policy.firstWait(), policy.maxWait()))
                .retryOnException(Resilience::isTransient)
                .failAfterMaxAttempts(false)
                .build());
    this.breaker =
        CircuitBreaker.of(
            service,
            CircuitBreakerConfig.custom()
                .slidingWindowSize(policy.breakerWindow())
                .minimumNumberOfCalls(policy.breakerWindow())
                .failureRateThreshold(80)
                .waitDurationInOpenState(Duration.ofSeconds(30))
                .recordException(Resilience::isTransient)
                .build());
  }

  public static Resilience standard(String service) {
    return new Resilience(service, Policy.standard());
  }

  /** Runs one AWS call under the policy. Non-transient AWS errors pass through unchanged. */
  public <T> T call(String what, Supplier<T> call) {
    Supplier<T> guarded = CircuitBreaker.decorateSupplier(breaker, call);
    try {
      return Retry.decorateSupplier(retry, guarded).get();
    } catch (CallNotPermittedException e) {
      throw new TransientAwsException(
          service + " " + what + ": circuit open after repeated failures", e);
    } catch (RuntimeException e) {
      if (isTransient(e)) {
        throw new TransientAwsException(
            service
                + " "
                + what
                + ": still failing after "
                + retry.getRetryConfig().getMaxAttempts()
                + " attempts: "
                + lastFailure(e),
            e);
      }
      throw e;
    }
  }

  public void run(String what, Runnable call) {
    call(
        what,
        () -> {
          call.run();
          return null;
        });
  }

  /** Whether an exception may pass if the call is made again. */
  public static boolean isTransient(Throwable t) {
    if (t instanceof AwsServiceException e) {
      int status = e.statusCode();
      return status >= 500
          || status == 429
          || e.isThrottlingException()
          || "SlowDown"
              .equals(e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode());
    }
    if (t instanceof SdkClientException || t instanceof UncheckedIOException) {
      return true; // connection reset, read timeout, DNS: the request may not even have arrived
    }
    if (t instanceof SdkException e && e.retryable()) {
      return true;
    }
    return t.getCause() instanceof IOException;
  }

  /** The SDK's timeout messages do not say "timed out", nor which limit; this does. */
  private static String lastFailure(RuntimeException e) {
    if (e instanceof ApiCallAttemptTimeoutException) {
      return "timed out: an attempt ran past the per-attempt timeout (" + e.getMessage() + ")";
    }
    if (e instanceof ApiCallTimeoutException) {
      return "timed out: the call ran past its total timeout (" + e.getMessage() + ")";
    }
    return e.getMessage();
  }

  private static IntervalFunction fullJitter(Duration first, Duration max) {
    // "Full jitter": a uniform wait between 0 and the capped exponential step.
    return attempt -> {
      double step = Math.min(max.toMillis(), first.toMillis() * Math.pow(2, attempt - 1));
      return (long) (Math.random() * step) + 1;
    };
  }

  /** An AWS call that kept failing in a way that may pass later. */
  public static final class TransientAwsException extends RuntimeException {
    public TransientAwsException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
