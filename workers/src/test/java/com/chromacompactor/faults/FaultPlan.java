package com.chromacompactor.faults;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The faults of one run, as the interceptor in every worker process reads them from {@value #FILE}.
 * Each injection fires once, at the first call of its request in any worker process (a fresh
 * process, such as a replacement worker, sees what the others fired through the marker files beside
 * the plan).
 */
public record FaultPlan(List<Injection> injections) {
  public static final String FILE = "plan.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One fault at one request.
   *
   * @param request a request's name as {@link RequestNames} gives it, e.g. {@code s3 PUT latest
   *     if-match}
   * @param delayMillis for {@link FaultKind#DELAY}: how long the request waits
   */
  public record Injection(String request, FaultKind kind, long delayMillis) {
    public Injection {
      if (request == null || request.isBlank() || kind == null || delayMillis < 0) {
        throw new IllegalArgumentException(
            "an injection needs a request, a kind and a delay >= 0: "
                + request
                + ", "
                + kind
                + ", "
                + delayMillis);
      }
    }

    public static Injection of(String request, FaultKind kind) {
      return new Injection(request, kind, 0);
    }

    @Override
    public String toString() {
      return kind + (kind == FaultKind.DELAY ? " " + delayMillis + " ms" : "") + " @ " + request;
    }
  }

  public FaultPlan {
    injections = List.copyOf(injections);
  }

  public static FaultPlan none() {
    return new FaultPlan(List.of());
  }

  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(FILE).toFile(), this);
  }

  /** The plan in {@code dir}, or none when there is no plan file (the baseline). */
  public static FaultPlan read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    return Files.exists(file) ? JSON.readValue(file.toFile(), FaultPlan.class) : none();
  }
}
