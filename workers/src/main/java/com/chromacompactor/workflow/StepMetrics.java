package com.chromacompactor.workflow;

import com.chromacompactor.merge.CompactionSummary;
import com.chromacompactor.statemachine.contract.CompactionMode;

/** Figures the steps report as they go; the worker sends them to CloudWatch, local runs drop them. */
public interface StepMetrics {
  StepMetrics NONE = new StepMetrics() {
    @Override
    public void deltaMerged(String batchId, String collection, long millis) {}

    @Override
    public void mergeDone(String batchId, String collection, CompactionMode mode, CompactionSummary summary) {}
  };

  /** One delta (or intermediate) merged, in {@code millis}; {@code collection} null for all. */
  void deltaMerged(String batchId, String collection, long millis);

  /** A chunk or final merge done: deltas, records and seconds are in the summary. */
  void mergeDone(String batchId, String collection, CompactionMode mode, CompactionSummary summary);
}
