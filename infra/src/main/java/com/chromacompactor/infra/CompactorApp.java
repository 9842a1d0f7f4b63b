package com.chromacompactor.infra;

import software.amazon.awscdk.App;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.StackProps;

/**
 * The CDK app that {@code cdk.json} runs: reads the settings from the context once and wires the
 * stack. Deploy with {@code npx aws-cdk@2.1148.1 deploy} from the repository root, after building
 * the worker jar.
 */
public final class CompactorApp {
  /** The stack's name, as {@code cdk deploy} and the console show it. */
  public static final String STACK_ID = "ChromaCompactor";

  private CompactorApp() {}

  public static void main(String[] args) {
    App app = new App();
    CompactorChecks.addRulePack(
        app); // cdk synth fails on a finding that is neither fixed nor accepted
    CompactorSettings settings = CompactorSettings.fromContext(app.getNode());
    StackProps stack =
        StackProps.builder()
            .description(
                "Chroma Compactor: compacts Chroma delta directories in S3 into one snapshot")
            .env(
                Environment.builder()
                    .account(System.getenv("CDK_DEFAULT_ACCOUNT"))
                    .region(System.getenv("CDK_DEFAULT_REGION"))
                    .build())
            .build();
    new CompactorStack(
        app,
        STACK_ID,
        new CompactorStackProps(
            stack, settings, WorkerImage.fromDirectory(settings.workersDirectory())));
    app.synth();
  }
}
