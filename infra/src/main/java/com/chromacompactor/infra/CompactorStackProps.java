package com.chromacompactor.infra;

import java.util.Objects;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.ecs.ContainerImage;

/**
 * Properties of {@link CompactorStack}.
 *
 * @param stack the usual stack properties (environment, description, ...)
 * @param settings the deployment's settings, read from the context by the app
 * @param workerImage the worker image, usually {@link WorkerImage#fromDirectory} on {@link
 *     CompactorSettings#workersDirectory()}
 */
public record CompactorStackProps(
    StackProps stack, CompactorSettings settings, ContainerImage workerImage) {
  public CompactorStackProps {
    Objects.requireNonNull(stack, "stack");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(workerImage, "workerImage");
  }
}
