package com.chromacompactor.cli;

import com.chromacompactor.activity.ActivityWorker;
import com.chromacompactor.workflow.WorkflowSteps;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code compactor worker}: the ECS task's process, polling every activity of the workflow. */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Long-polls the workflow's activities and runs their tasks until SIGTERM.",
      "Configured from the environment: COMPACTOR_BUCKET, COMPACTOR_<STEP>_ACTIVITY_ARN (PLAN, COMPACT_CHUNK,",
      "FINAL_MERGE, PUBLISH, CLEANUP; absent ones are not polled), COMPACTOR_WORKER_CONCURRENCY,",
      "COMPACTOR_HEARTBEAT_INTERVAL_SECONDS, COMPACTOR_STOP_TIMEOUT_SECONDS, COMPACTOR_METRICS_NAMESPACE,",
      "COMPACTOR_CHUNK_SIZE_WORDS|LINES|OTHER, COMPACTOR_BAD_DELTA_POLICY, COMPACTOR_SETTLE (default 10m),",
      "COMPACTOR_INCOMPLETE_UPLOAD_LIMIT (default 24h), AWS_REGION, and COMPACTOR_AWS_ENDPOINT (e.g. LocalStack)."
    })
final class WorkerCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    Map<String, String> env = System.getenv();
    return ActivityWorker.run(env, WorkflowSteps.fromEnvironment(env));
  }
}
