/**
 * The activity worker: the ECS task's process that long-polls the workflow's activities and runs
 * their handlers.
 *
 * <p>For handler authors: implement {@link com.chromacompactor.activity.ActivityHandler}; read the
 * input with {@link com.chromacompactor.activity.TaskInput#read} and write the output with {@link
 * com.chromacompactor.activity.TaskInput#write}; call {@link
 * com.chromacompactor.activity.TaskContext#checkCancelled()} between units of work and {@link
 * com.chromacompactor.activity.TaskContext#progress} per delta; report figures through {@link
 * com.chromacompactor.activity.TaskContext#metrics()}; throw {@link
 * com.chromacompactor.activity.TaskFailure} with a name from {@code ErrorNames} where the handler
 * knows best, anything else is named by {@link com.chromacompactor.activity.ErrorClassifier}.
 *
 * <p>For the process: {@link com.chromacompactor.activity.ActivityWorker#run} (configuration from
 * the environment, SIGTERM hook, blocks until stopped), or {@link
 * com.chromacompactor.activity.WorkerConfig} and {@link
 * com.chromacompactor.activity.ActivityWorker} directly (tests, an in-process end-to-end run).
 */
package com.chromacompactor.activity;
