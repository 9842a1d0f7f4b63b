package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Input of the Plan activity: the execution input as it came, and the execution's name.
 *
 * @param request       the execution input
 * @param executionName {@code $$.Execution.Name}; a starter that names executions after the batch gets
 *                      at-most-once starts for free, and the planner may use it in the batch id
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record PlanInput(CompactionRequest request, String executionName) {
}
