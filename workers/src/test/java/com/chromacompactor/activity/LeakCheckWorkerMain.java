package com.chromacompactor.activity;

import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.sfn.model.GetActivityTaskResponse;

/**
 * A worker process as the CLI's {@code worker} command runs it, for {@code NoSecretsInLogsTest},
 * with one addition: every task token it receives is appended to the file named by {@value
 * #TOKENS_FILE}, so that the test knows which strings must not show in the log. Its CompactChunk
 * handler does what the input's {@code mode} says: {@code ok} succeeds, {@code boom} throws
 * (Worker.Unexpected, logged with its stack trace), {@code wait} works until it is cancelled.
 */
public final class LeakCheckWorkerMain {
  static final String TOKENS_FILE = "LEAK_CHECK_TOKENS_FILE";

  private LeakCheckWorkerMain() {}

  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    Path tokens = Path.of(env.get(TOKENS_FILE));
    ExecutionInterceptor recordTokens =
        new ExecutionInterceptor() {
          @Override
          public SdkResponse modifyResponse(
              Context.ModifyResponse context, ExecutionAttributes attributes) {
            if (context.response() instanceof GetActivityTaskResponse r && r.taskToken() != null) {
              try {
                Files.writeString(
                    tokens,
                    r.taskToken() + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            }
            return context.response();
          }
        };
    ActivityHandler handler =
        (input, ctx) -> {
          ctx.progress("working");
          if (input.contains("\"boom\"")) {
            throw new IllegalStateException("boom: the handler failed");
          }
          while (input.contains("\"wait\"")) {
            ctx.checkCancelled();
            Thread.sleep(100);
          }
          return "{\"done\":true}";
        };
    ActivityWorker worker =
        new ActivityWorker(
            WorkerConfig.fromEnvironment(env),
            Map.of(WorkflowStep.COMPACT_CHUNK, handler),
            new AwsClients(AwsSettings.fromEnvironment(env), List.of(recordTokens)));
    worker.installShutdownHook();
    worker.start();
    worker.awaitStopped();
    System.exit(0);
  }
}
