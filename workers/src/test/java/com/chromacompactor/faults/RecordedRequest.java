package com.chromacompactor.faults;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One line of the request log: a mutating call as a worker process made it (every attempt of it counted), or a fault
 * the interceptor injected into one.
 *
 * @param event         {@code call} when the call ended, {@code fault} when a fault was injected into it
 * @param request       the request's name ({@link RequestNames})
 * @param deterministic false for heartbeats, whose number depends on timing
 * @param step          the workflow step whose task made the call, e.g. {@code CompactChunk}; null if unknown
 * @param chunk         the chunk index of a CompactChunk task
 * @param thread        the calling thread, which with {@code pid} tells one task's calls from another's
 * @param outcome       {@code ok}, or the error the caller saw; for a fault, its kind
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RecordedRequest(String event, long timeMillis, long pid, String worker, String thread, String request,
    boolean deterministic, String step, Integer chunk, int attempts, String outcome) {
  public static final String CALL = "call";
  public static final String FAULT = "fault";

  public boolean isFault() {
    return FAULT.equals(event);
  }

  public boolean succeeded() {
    return CALL.equals(event) && "ok".equals(outcome);
  }
}
