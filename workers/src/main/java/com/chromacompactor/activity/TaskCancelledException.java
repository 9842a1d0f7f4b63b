package com.chromacompactor.activity;

/**
 * The task was taken away from this worker, or the worker is stopping: stop work, report nothing
 * more.
 */
public class TaskCancelledException extends Exception {
  public TaskCancelledException(String message) {
    super(message);
  }
}
