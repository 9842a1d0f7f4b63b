package com.chromacompactor.activity;

/**
 * Does the work of one kind of activity task (Plan, CompactChunk, …). Handlers are idempotent: a
 * task retried after any failure gives the same output keys and the same content.
 *
 * <p>A handler returns the task's output JSON, or throws. {@link TaskFailure} carries the error
 * name for the state machine's Retry and Catch rules; any other exception is classified by the
 * runtime (see {@code ErrorClassifier}).
 */
@FunctionalInterface
public interface ActivityHandler {
  String handle(String inputJson, TaskContext context) throws Exception;
}
