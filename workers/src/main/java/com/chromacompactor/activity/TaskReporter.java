package com.chromacompactor.activity;

import com.chromacompactor.aws.Resilience;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.chromacompactor.statemachine.contract.TaskError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.InvalidOutputException;
import software.amazon.awssdk.services.sfn.model.InvalidTokenException;
import software.amazon.awssdk.services.sfn.model.TaskDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.TaskTimedOutException;

/**
 * Sends a task's outcome: SendTaskSuccess with the handler's output, or SendTaskFailure with an
 * error name and a cause clipped to the API's limits ({@value #MAX_ERROR_LENGTH} and {@value
 * #MAX_CAUSE_LENGTH} characters).
 *
 * <p>The output is never clipped: a clipped JSON document is not JSON. Outputs are S3 keys and
 * counts, far below the 256 KB limit; one that Step Functions refuses anyway is reported as {@code
 * Worker.Unexpected}.
 *
 * <p>This is the end of the line for a task, so a report that cannot be delivered is logged, not
 * thrown: the task stops heartbeating, and Step Functions retries it on {@code
 * States.HeartbeatTimeout}.
 */
final class TaskReporter {
  static final int MAX_ERROR_LENGTH = 256;
  static final int MAX_CAUSE_LENGTH = 32_768;
  private static final String CLIPPED = " …[clipped]";
  private static final Logger log = LoggerFactory.getLogger(TaskReporter.class);

  private final SfnClient sfn;
  private final Resilience resilience;

  TaskReporter(SfnClient sfn, Resilience resilience) {
    this.sfn = sfn;
    this.resilience = resilience;
  }

  /**
   * Whether Step Functions took the success (false also when it refused the output and took a
   * failure instead).
   */
  boolean succeed(RunningTask task, String output) {
    try {
      resilience.run(
          "SendTaskSuccess",
          () -> sfn.sendTaskSuccess(b -> b.taskToken(task.token()).output(output)));
      log.info("{}: succeeded after {} s", task.label(), task.age().toSeconds());
      return true;
    } catch (InvalidOutputException e) {
      fail(
          task,
          new TaskError(
              ErrorNames.UNEXPECTED,
              "Step Functions refused the output of "
                  + task.step().stateName()
                  + " ("
                  + output.length()
                  + " characters): "
                  + e.getMessage()));
      return false;
    } catch (TaskTimedOutException | TaskDoesNotExistException | InvalidTokenException e) {
      log.warn(
          "{}: finished, but the task is no longer ours ({}); output dropped",
          task.label(),
          e.getMessage());
      return false;
    } catch (RuntimeException e) {
      log.error(
          "{}: could not send SendTaskSuccess; Step Functions will retry the task after its heartbeat"
              + " timeout",
          task.label(),
          e);
      return false;
    }
  }

  /** Whether Step Functions took the failure. */
  boolean fail(RunningTask task, TaskError error) {
    String name = clip(error.error(), MAX_ERROR_LENGTH);
    String cause = clip(error.cause() == null ? "" : error.cause(), MAX_CAUSE_LENGTH);
    try {
      resilience.run(
          "SendTaskFailure",
          () -> sfn.sendTaskFailure(b -> b.taskToken(task.token()).error(name).cause(cause)));
      log.warn("{}: failed with {}: {}", task.label(), name, clip(cause, 2_000));
      return true;
    } catch (TaskTimedOutException | TaskDoesNotExistException | InvalidTokenException e) {
      log.warn(
          "{}: failed with {}, but the task is no longer ours ({})",
          task.label(),
          name,
          e.getMessage());
      return false;
    } catch (RuntimeException e) {
      log.error(
          "{}: could not send SendTaskFailure {} ({}); Step Functions will retry the task after its heartbeat"
              + " timeout",
          task.label(),
          name,
          clip(cause, 2_000),
          e);
      return false;
    }
  }

  /** At most {@code max} characters, marked when clipped, never splitting a surrogate pair. */
  static String clip(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int end = max - CLIPPED.length();
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end) + CLIPPED;
  }
}
