package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Input of the CollectGarbage activity: apply the retention rules to one lineage. The rules
 * themselves (snapshots kept, their minimum age, how long consumed deltas stay, dry run) are the
 * worker's settings ({@link WorkerEnvironment#GC_KEEP_SNAPSHOTS} and the others), set by the
 * deployment from the CDK context.
 *
 * @param lineage from {@link PlanOutput#lineage()}: the worker collects that line's keys only
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CollectGarbageInput(Lineage lineage) {
  public CollectGarbageInput {
    lineage = lineage == null ? Lineage.NONE : lineage;
  }
}
