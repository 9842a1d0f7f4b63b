package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Input of the Plan activity: the execution input as it came, and the execution's name.
 *
 * @param request the execution input
 * @param executionName {@code $$.Execution.Name}; a starter that names executions after the batch
 *     gets at-most-once starts for free, and the planner may use it in the batch id
 * @param executionArn {@code $$.Execution.Id}, written into the batch's claim so that a later Plan
 *     can ask Step Functions whether this execution still runs; null for a local run
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record PlanInput(CompactionRequest request, String executionName, String executionArn) {
  /** A local run's input: no execution that Step Functions knows. */
  public PlanInput(CompactionRequest request, String executionName) {
    this(request, executionName, null);
  }
}
