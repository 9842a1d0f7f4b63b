package com.chromacompactor.workflow;

/**
 * Where the execution that holds a claim stands, for Plan deciding whether a claim is lost. A
 * deployed worker asks Step Functions ({@link StepFunctionsHolders}); a process that cannot ask (a
 * local run) knows nothing, and a claim of a deployed execution is then lost only when its lease
 * lapses.
 */
@FunctionalInterface
interface ClaimHolders {
  /** What is known of one execution. */
  enum Standing {
    /** It runs: its claim holds. */
    RUNNING,
    /** It failed, timed out, was aborted, succeeded, or does not exist: its claim is lost. */
    ENDED,
    /** This process cannot tell: the claim's lease decides. */
    UNKNOWN
  }

  /**
   * The standing of an execution, with what the answer said (its status and error), for the log.
   */
  record Holder(Standing standing, String detail) {}

  /**
   * @throws com.chromacompactor.aws.Resilience.TransientAwsException when Step Functions kept
   *     throttling or failing: Plan fails as {@code Storage.Transient} and is retried, rather than
   *     guess
   */
  Holder of(String executionArn);

  /** For a process that cannot ask. */
  ClaimHolders UNKNOWN = arn -> new Holder(Standing.UNKNOWN, "not asked");
}
