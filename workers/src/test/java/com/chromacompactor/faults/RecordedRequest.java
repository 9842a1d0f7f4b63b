package com.chromacompactor.faults;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One line of the request log: a mutating call as a worker process made it (every attempt of it
 * counted), or a fault the interceptor injected into one.
 *
 * @param event {@code call} when the call ended, {@code fault} when a fault was injected into it,
 *     {@code phase} when the driver began a phase of the run (its name in {@code request})
 * @param request the request's name ({@link RequestNames})
 * @param deterministic false for heartbeats, whose number depends on timing
 * @param step the workflow step whose task made the call, e.g. {@code CompactChunk}; null if
 *     unknown
 * @param chunk the chunk index of a CompactChunk task
 * @param thread the calling thread, which with {@code pid} tells one task's calls from another's
 * @param outcome {@code ok}, or the error the caller saw; for a fault, its kind
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RecordedRequest(
    String event,
    long timeMillis,
    long pid,
    String worker,
    String thread,
    String request,
    boolean deterministic,
    String step,
    Integer chunk,
    int attempts,
    String outcome) {
  public static final String CALL = "call";
  public static final String FAULT = "fault";
  public static final String PHASE = "phase";

  /** The phase that begins when the faulted executions have ended: the next scheduled run. */
  public static final String NEXT_RUN = "next scheduled run";

  static RecordedRequest phase(String name) {
    return new RecordedRequest(
        PHASE,
        System.currentTimeMillis(),
        ProcessHandle.current().pid(),
        "driver",
        Thread.currentThread().getName(),
        name,
        false,
        null,
        null,
        0,
        null);
  }

  @JsonIgnore
  public boolean isFault() {
    return FAULT.equals(event);
  }

  @JsonIgnore
  public boolean succeeded() {
    return CALL.equals(event) && "ok".equals(outcome);
  }
}
