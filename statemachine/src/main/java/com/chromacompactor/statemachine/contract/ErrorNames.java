package com.chromacompactor.statemachine.contract;

import java.util.List;

/**
 * Error names that workers send with {@code SendTaskFailure} and that the Retry and Catch rules
 * match.
 *
 * <p>A worker maps every exception to one of these names; anything else is reported as {@link
 * #UNEXPECTED} and is not retried. The {@code States.*} names are raised by Step Functions itself.
 */
public final class ErrorNames {
  /**
   * S3, Step Functions or CloudWatch failed in a way that may pass: throttling, 5xx, connection
   * reset. Retried.
   */
  public static final String STORAGE_TRANSIENT = "Storage.Transient";

  /** The worker stopped before finishing (SIGTERM past the ECS stop timeout). Retried. */
  public static final String WORKER_INTERRUPTED = "Worker.Interrupted";

  /** A delta could not be read; it is quarantined. Not retried. */
  public static final String CORRUPT_DELTA = "Chroma.CorruptDelta";

  /** The task input does not follow this contract. Not retried. */
  public static final String INVALID_INPUT = "Contract.InvalidInput";

  /**
   * Another run moved {@code latest} first: the conditional write lost. Caught: the run fails as
   * PublishConflict.
   */
  public static final String PUBLISH_CONFLICT = "Publish.Conflict";

  /**
   * A rule the compactor guarantees was broken (counts disagree, a snapshot fails its check). Not
   * retried.
   */
  public static final String INVARIANT_VIOLATION = "Compaction.InvariantViolation";

  /**
   * A local run's claim of its batch lapsed and another run took the batch over: this run stops
   * before it publishes. Only {@code compactor run} raises it; a deployed execution's claim ends
   * with the execution.
   */
  public static final String CLAIM_LOST = "Claim.Lost";

  /** Any other failure of a worker. Not retried. */
  public static final String UNEXPECTED = "Worker.Unexpected";

  /**
   * Raised by the Fail state after a chunk failed for good; carries the chunk index in its cause.
   */
  public static final String CHUNK_FAILED = "Compaction.ChunkFailed";

  /** Step Functions: the task ran past TimeoutSeconds (time waiting for a worker counts). */
  public static final String STATES_TIMEOUT = "States.Timeout";

  /** Step Functions: no heartbeat within HeartbeatSeconds (the worker died or hangs). */
  public static final String STATES_HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout";

  /** Step Functions: matches every error. */
  public static final String STATES_ALL = "States.ALL";

  /**
   * The errors that every activity task retries with backoff and full jitter. A worker out of
   * memory sends nothing: it exits, and its tasks come back as {@link #STATES_HEARTBEAT_TIMEOUT}
   * (or {@link #STATES_TIMEOUT}).
   */
  public static final List<String> RETRYABLE =
      List.of(STATES_TIMEOUT, STATES_HEARTBEAT_TIMEOUT, STORAGE_TRANSIENT, WORKER_INTERRUPTED);

  private ErrorNames() {}
}
