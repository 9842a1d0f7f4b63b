package com.chromacompactor.faults;

import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.sfn.model.GetActivityTaskRequest;
import software.amazon.awssdk.services.sfn.model.GetActivityTaskResponse;
import software.amazon.awssdk.services.sfn.model.SfnException;

/**
 * Records every mutating request of a worker process and injects the faults of its run's {@link
 * FaultPlan}. The AWS SDK loads it as a global interceptor from {@code
 * software/amazon/awssdk/global/handlers/execution.interceptors}, which only the fault sweep's
 * worker processes have on their class path ({@code src/test/fault-agent}): the product holds no
 * hook for it. Without {@value #DIR_VARIABLE} in the environment it does nothing.
 *
 * <p>Where each fault strikes, for the first call of its request in any process of the run:
 *
 * <ul>
 *   <li>fail-before: the first attempt throws, before it is sent, what the SDK would have made of a
 *       503 or a reset;
 *   <li>lose-response-after: the first attempt reached storage and was answered; the answer is
 *       replaced by an attempt timeout or a reset;
 *   <li>kill-after: the call succeeded; the process sends itself SIGKILL before the caller sees the
 *       result.
 * </ul>
 *
 * The SDK and the product then recover as deployed: the SDK's retry, {@code Resilience}, the state
 * machine.
 *
 * <p>A call is tied to its workflow task: Step Functions calls by their task token, seen when
 * GetActivityTask handed the task out; storage calls by the thread, since the worker starts each
 * task's thread from the poller thread that received it, which the {@link InheritableThreadLocal}
 * below passes on.
 */
public final class FaultInterceptor implements ExecutionInterceptor {
  /**
   * The run's folder: its {@link FaultPlan}, the {@link RequestLog}, and one marker per injection
   * fired.
   */
  public static final String DIR_VARIABLE = "COMPACTOR_FAULTS_DIR";

  /** This worker's label in the log, e.g. {@code w1}. */
  public static final String WORKER_VARIABLE = "COMPACTOR_FAULTS_WORKER";

  /**
   * What a process that runs no activity task does (a producer's {@code Push}): its requests are
   * tied to it.
   */
  public static final String PROCESS_TASK_VARIABLE = "COMPACTOR_FAULTS_PROCESS_TASK";

  private static final ExecutionAttribute<Call> CALL =
      new ExecutionAttribute<>("compactor.faults.call");
  private static final InheritableThreadLocal<RequestNames.TaskRef> TASK =
      new InheritableThreadLocal<>();
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final String worker;
  private final List<FaultPlan.Injection> injections;
  private final RequestNames.TaskRef processTask;
  private final Map<String, String> stepsByActivity = new HashMap<>();

  /**
   * Static: the SDK makes an interceptor per client, and the worker polls with one client and
   * reports with another.
   */
  private static final Map<String, RequestNames.TaskRef> TASKS_BY_TOKEN = new ConcurrentHashMap<>();

  /** One named call in flight. */
  private static final class Call {
    final RequestNames.Named named;
    final RequestNames.TaskRef task;
    final AtomicInteger attempts = new AtomicInteger();
    volatile FaultPlan.Injection killAfter;

    Call(RequestNames.Named named, RequestNames.TaskRef task) {
      this.named = named;
      this.task = task;
    }
  }

  /** As the SDK creates it: from this process's environment. */
  public FaultInterceptor() {
    this(System.getenv());
  }

  FaultInterceptor(Map<String, String> env) {
    String folder = env.get(DIR_VARIABLE);
    this.dir = folder == null || folder.isBlank() ? null : Path.of(folder);
    this.worker = env.getOrDefault(WORKER_VARIABLE, "worker");
    String task = env.get(PROCESS_TASK_VARIABLE);
    this.processTask = task == null || task.isBlank() ? null : new RequestNames.TaskRef(task, null);
    try {
      this.injections = dir == null ? List.of() : FaultPlan.read(dir).injections();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the fault plan in " + dir, e);
    }
    for (WorkflowStep step : WorkflowStep.values()) {
      String arn = env.get(step.arnVariable());
      if (arn != null) {
        stepsByActivity.put(arn.trim(), step.stateName());
      }
    }
  }

  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    if (dir == null) {
      return;
    }
    Optional<RequestNames.Named> named = RequestNames.of(context.request(), TASKS_BY_TOKEN::get);
    named.ifPresent(
        n ->
            attributes.putAttribute(
                CALL,
                new Call(
                    n,
                    n.task() != null ? n.task() : TASK.get() != null ? TASK.get() : processTask)));
  }

  @Override
  public void beforeTransmission(
      Context.BeforeTransmission context, ExecutionAttributes attributes) {
    Call call = attributes.getAttribute(CALL);
    if (call == null || call.attempts.incrementAndGet() > 1) {
      return;
    }
    for (int i = 0; i < injections.size(); i++) {
      FaultPlan.Injection injection = injections.get(i);
      if (!injection.request().equals(call.named.name())) {
        continue;
      }
      switch (injection.kind()) {
        case DELAY -> {
          if (fire(i, call, injection)) {
            sleep(injection.delayMillis());
          }
        }
        case FAIL_BEFORE_503 -> {
          if (fire(i, call, injection)) {
            throw serviceUnavailable(call.named.name().startsWith("sfn "));
          }
        }
        case FAIL_BEFORE_RESET -> {
          if (fire(i, call, injection)) {
            throw SdkClientException.create(
                "Unable to execute HTTP request: Connection reset (injected before the"
                    + " request was sent)",
                new SocketException("Connection reset"));
          }
        }
        default -> {}
      }
    }
  }

  @Override
  public SdkHttpResponse modifyHttpResponse(
      Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    Call call = attributes.getAttribute(CALL);
    if (call == null || call.attempts.get() != 1) {
      return context.httpResponse();
    }
    for (int i = 0; i < injections.size(); i++) {
      FaultPlan.Injection injection = injections.get(i);
      if (!injection.request().equals(call.named.name())
          || injection.kind().family() != FaultKind.Family.LOSE_RESPONSE_AFTER
          || !fire(i, call, injection)) {
        continue;
      }
      if (injection.kind() == FaultKind.LOSE_RESPONSE_TIMEOUT) {
        throw ApiCallAttemptTimeoutException.create(
            "HTTP request execution did not complete before the specified"
                + " timeout configuration (injected after the request succeeded, status "
                + context.httpResponse().statusCode()
                + ")",
            null);
      }
      throw SdkClientException.create(
          "Unable to execute HTTP request: Connection reset (injected after the request"
              + " succeeded, status "
              + context.httpResponse().statusCode()
              + ")",
          new SocketException("Connection reset"));
    }
    return context.httpResponse();
  }

  @Override
  public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
    if (dir == null) {
      return;
    }
    if (context.request() instanceof GetActivityTaskRequest poll
        && context.response() instanceof GetActivityTaskResponse task) {
      received(poll, task);
      return;
    }
    Call call = attributes.getAttribute(CALL);
    if (call == null) {
      return;
    }
    log(call, RecordedRequest.CALL, "ok");
    for (int i = 0; i < injections.size(); i++) {
      FaultPlan.Injection injection = injections.get(i);
      if (injection.kind() == FaultKind.KILL_AFTER
          && injection.request().equals(call.named.name())
          && fire(i, call, injection)) {
        killThisProcess();
      }
    }
  }

  @Override
  public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
    Call call = attributes.getAttribute(CALL);
    if (call == null) {
      return;
    }
    Throwable e = context.exception();
    String status = e instanceof AwsServiceException s ? " " + s.statusCode() : "";
    String message = String.valueOf(e.getMessage());
    log(
        call,
        RecordedRequest.CALL,
        e.getClass().getSimpleName()
            + status
            + ": "
            + message.substring(0, Math.min(160, message.length())));
  }

  /**
   * A task arrived on this (poller) thread: the task thread it starts next inherits which task it
   * is.
   */
  private void received(GetActivityTaskRequest poll, GetActivityTaskResponse task) {
    if (task.taskToken() == null || task.taskToken().isEmpty()) {
      return;
    }
    Integer chunk = null;
    try {
      JsonNode input = JSON.readTree(task.input());
      if (input.hasNonNull("chunkIndex")) {
        chunk = input.get("chunkIndex").asInt();
      }
    } catch (IOException e) {
      chunk = null; // not JSON: the task has no chunk
    }
    RequestNames.TaskRef ref =
        new RequestNames.TaskRef(stepsByActivity.getOrDefault(poll.activityArn(), "?"), chunk);
    TASKS_BY_TOKEN.put(task.taskToken(), ref);
    TASK.set(ref);
  }

  /**
   * Whether this injection fires now: only once in the whole run, whichever process gets there
   * first.
   */
  private boolean fire(int index, Call call, FaultPlan.Injection injection) {
    try {
      Files.createFile(dir.resolve("fired-" + index));
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    log(call, RecordedRequest.FAULT, injection.kind().name());
    return true;
  }

  private void log(Call call, String event, String outcome) {
    RequestNames.TaskRef task = call.task;
    RequestLog.append(
        dir,
        new RecordedRequest(
            event,
            System.currentTimeMillis(),
            ProcessHandle.current().pid(),
            worker,
            Thread.currentThread().getName(),
            call.named.name(),
            call.named.deterministic(),
            task == null ? null : task.step(),
            task == null ? null : task.chunk(),
            call.attempts.get(),
            outcome));
  }

  private static AwsServiceException serviceUnavailable(boolean stepFunctions) {
    String message = "injected before the request was sent";
    AwsErrorDetails details =
        AwsErrorDetails.builder()
            .errorCode(stepFunctions ? "ServiceUnavailable" : "SlowDown")
            .errorMessage(
                (stepFunctions ? "Service unavailable" : "Please reduce your request rate")
                    + " ("
                    + message
                    + ")")
            .serviceName(stepFunctions ? "SFN" : "S3")
            .sdkHttpResponse(
                SdkHttpResponse.builder().statusCode(503).statusText("Service Unavailable").build())
            .build();
    return (stepFunctions ? SfnException.builder() : S3Exception.builder())
        .statusCode(503)
        .message(details.errorMessage())
        .awsErrorDetails(details)
        .build();
  }

  /**
   * SIGKILL, as the OOM killer or a lost host would: no shutdown hook, no last word to Step
   * Functions.
   */
  private static void killThisProcess() {
    long pid = ProcessHandle.current().pid();
    try {
      new ProcessBuilder("kill", "-KILL", Long.toString(pid)).inheritIO().start().waitFor();
      while (true) {
        Thread.sleep(1_000); // the signal is on its way
      }
    } catch (IOException | InterruptedException e) {
      Runtime.getRuntime().halt(137);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
