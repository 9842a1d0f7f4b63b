package com.chromacompactor.statemachine;

import com.chromacompactor.statemachine.contract.AslTemplate;
import com.chromacompactor.statemachine.contract.WorkflowStep;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import software.amazon.awscdk.App;
import software.amazon.awscdk.CfnElement;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.stepfunctions.IActivity;
import software.constructs.IConstruct;

/**
 * Renders the workflow's definition as Amazon States Language with placeholders ({@link
 * AslTemplate#BUCKET_NAME}, {@link WorkflowStep#arnPlaceholder()}), by synthesizing a throw-away
 * stack and reading the state machine's {@code DefinitionString}.
 *
 * <p>Command line (from the repository root):
 *
 * <pre>
 * mvn -q -pl statemachine compile exec:java -Dexec.mainClass=com.chromacompactor.statemachine.AslExport \
 *     -Dexec.args="--out statemachine/src/main/resources/com/chromacompactor/statemachine/compaction-workflow.asl.json"
 * </pre>
 *
 * Options: {@code --out FILE} (default: standard output), {@code --heartbeat-seconds N}, {@code
 * --chunk-timeout-seconds N}, {@code --parallel-mode-max-embeddings N}, {@code
 * --inline-map-max-chunks N}, {@code --max-concurrency N}, {@code --retry-interval-seconds N}.
 */
public final class AslExport {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private AslExport() {}

  /** The definition with default properties, pretty-printed, placeholders unbound. */
  public static String render() {
    return render(UnaryOperator.identity());
  }

  /**
   * The definition with the given properties, pretty-printed, placeholders unbound. The bucket and
   * activities are supplied here; {@code options} sets everything else.
   */
  public static String render(UnaryOperator<CompactionWorkflowProps.Builder> options) {
    App app = new App();
    Stack stack = new Stack(app, "AslExport");
    Bucket bucket = new Bucket(stack, "Bucket");
    CompactionWorkflow workflow =
        new CompactionWorkflow(
            stack,
            "Workflow",
            options.apply(CompactionWorkflowProps.builder()).bucket(bucket).build());

    Map<String, String> refs = new HashMap<>();
    refs.put(logicalId(stack, bucket), AslTemplate.BUCKET_NAME);
    for (Map.Entry<WorkflowStep, IActivity> e : workflow.getActivities().entrySet()) {
      refs.put(logicalId(stack, e.getValue()), e.getKey().arnPlaceholder());
    }
    refs.put("AWS::Partition", "aws");

    @SuppressWarnings("unchecked")
    Map<String, Object> template =
        (Map<String, Object>) app.synth().getStackArtifact(stack.getArtifactId()).getTemplate();
    String machineId = logicalId(stack, workflow.getStateMachine());
    @SuppressWarnings("unchecked")
    Map<String, Object> resources = (Map<String, Object>) template.get("Resources");
    @SuppressWarnings("unchecked")
    Map<String, Object> machine = (Map<String, Object>) resources.get(machineId);
    @SuppressWarnings("unchecked")
    Map<String, Object> properties = (Map<String, Object>) machine.get("Properties");
    return prettyPrint(resolve(properties.get("DefinitionString"), refs));
  }

  /**
   * Turns a CloudFormation string expression into a string: plain strings, {@code Fn::Join} and
   * {@code Ref} to a known logical id or pseudo parameter. Anything else is an error naming the
   * expression.
   */
  static String resolve(Object expression, Map<String, String> refs) {
    if (expression instanceof String s) {
      return s;
    }
    if (expression instanceof Map<?, ?> map && map.size() == 1) {
      Object join = map.get("Fn::Join");
      if (join instanceof List<?> args
          && args.size() == 2
          && args.get(1) instanceof List<?> parts) {
        StringBuilder out = new StringBuilder();
        for (Object part : parts) {
          if (out.length() > 0 || part != parts.get(0)) {
            out.append((String) args.get(0));
          }
          out.append(resolve(part, refs));
        }
        return out.toString();
      }
      Object ref = map.get("Ref");
      if (ref instanceof String id && refs.containsKey(id)) {
        return refs.get(id);
      }
    }
    throw new IllegalStateException(
        "cannot resolve " + expression + " in the definition; known refs: " + refs.keySet());
  }

  private static String logicalId(Stack stack, IConstruct construct) {
    return stack.getLogicalId((CfnElement) construct.getNode().getDefaultChild());
  }

  private static String prettyPrint(String json) {
    try {
      JsonNode tree = JSON.readTree(json);
      return JSON.writeValueAsString(tree) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException("the synthesized definition is not JSON: " + json, e);
    }
  }

  public static void main(String[] args) throws IOException {
    Path out = null;
    UnaryOperator<CompactionWorkflowProps.Builder> options = UnaryOperator.identity();
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + name);
      }
      String value = args[++i];
      UnaryOperator<CompactionWorkflowProps.Builder> previous = options;
      UnaryOperator<CompactionWorkflowProps.Builder> next =
          switch (name) {
            case "--out" -> {
              out = Path.of(value);
              yield UnaryOperator.identity();
            }
            case "--heartbeat-seconds" -> b -> b.heartbeat(Duration.seconds(Long.parseLong(value)));
            case "--chunk-timeout-seconds" ->
                b -> b.chunkTimeout(Duration.seconds(Long.parseLong(value)));
            case "--parallel-mode-max-embeddings" ->
                b -> b.parallelModeMaxEmbeddings(Long.parseLong(value));
            case "--inline-map-max-chunks" -> b -> b.inlineMapMaxChunks(Integer.parseInt(value));
            case "--max-concurrency" -> b -> b.maxConcurrency(Integer.parseInt(value));
            case "--retry-interval-seconds" ->
                b -> b.retryInterval(Duration.seconds(Long.parseLong(value)));
            default ->
                throw new IllegalArgumentException(
                    "unknown option "
                        + name
                        + "; known: --out, --heartbeat-seconds, --chunk-timeout-seconds, "
                        + "--parallel-mode-max-embeddings, --inline-map-max-chunks, --max-concurrency, "
                        + "--retry-interval-seconds");
          };
      options = b -> next.apply(previous.apply(b));
    }
    String asl = render(options);
    if (out == null) {
      PrintStream stdout = new PrintStream(System.out, true, StandardCharsets.UTF_8);
      stdout.print(asl);
    } else {
      if (out.toAbsolutePath().getParent() != null) {
        Files.createDirectories(out.toAbsolutePath().getParent());
      }
      Files.writeString(out, asl, StandardCharsets.UTF_8);
      System.err.println("wrote " + out.toAbsolutePath());
    }
  }
}
