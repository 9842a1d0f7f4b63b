package com.chromacompactor.infra;

import java.nio.file.Path;
import java.util.List;
import software.amazon.awscdk.IgnoreMode;
import software.amazon.awscdk.services.ecr.assets.Platform;
import software.amazon.awscdk.services.ecs.AssetImageProps;
import software.amazon.awscdk.services.ecs.ContainerImage;

/**
 * The worker container image, built from {@code workers/Dockerfile} as a Docker image asset.
 *
 * <p>The build context is {@code workers/} alone, and only two files of it are part of the asset:
 * {@code Dockerfile} and {@link #JAR}, the shaded jar that {@code mvn -pl workers -am package}
 * writes. So {@code cdk synth} hashes two files (not target/classes, test data or a virtualenv),
 * works before the jar exists and without Docker, and the asset hash (the image tag) changes
 * exactly when the Dockerfile or the jar changes. Docker runs only at {@code cdk deploy}.
 */
public final class WorkerImage {
  /** The shaded worker jar, relative to the build context. */
  public static final String JAR = "target/compactor.jar";

  /**
   * Everything but the Dockerfile and the jar, in .dockerignore syntax ({@link IgnoreMode#DOCKER}).
   */
  public static final List<String> EXCLUDE = List.of("*", "!Dockerfile", "!" + JAR);

  private WorkerImage() {}

  /**
   * The asset props: {@link #EXCLUDE}, Docker ignore rules, linux/amd64 (the task definition's
   * platform).
   */
  public static AssetImageProps assetProps() {
    return AssetImageProps.builder()
        .exclude(EXCLUDE)
        .ignoreMode(IgnoreMode.DOCKER)
        .platform(Platform.LINUX_AMD64)
        .build();
  }

  /** The image built from {@code directory}, which holds {@code Dockerfile} and {@link #JAR}. */
  public static ContainerImage fromDirectory(Path directory) {
    return ContainerImage.fromAsset(directory.toString(), assetProps());
  }
}
