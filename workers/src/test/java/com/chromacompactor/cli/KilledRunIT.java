package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.Series;
import com.chromacompactor.workflow.LocalRun;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failure issue 17 names first, as a user meets it: {@code ./compactor run} gets SIGKILL right
 * after Plan claimed its batch. The claim is a lease the dead run stops renewing: a run within the
 * lease finds the batch claimed and does nothing, and the first run after it lapses takes the batch
 * over and publishes it whole. Real processes on the jar that {@code package} built (Failsafe runs
 * this after it).
 */
class KilledRunIT {
  private static final Path ROOT =
      Path.of(System.getProperty("compactor.repoRoot", "..")).toAbsolutePath().normalize();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Short, so that the test waits seconds; the default is minutes. */
  private static final Duration LEASE = Duration.ofSeconds(20);

  @TempDir Path tmp;

  private record Run(int exit, String out, String err) {}

  @Test
  void aRunKilledRightAfterItsClaimLosesTheBatchToTheNextRunOnceItsLeaseLapses() throws Exception {
    Series series = Series.get();
    List<Path> deltas = IntStream.range(0, Series.SIZE).mapToObj(series::delta).toList();
    Path bucket = Files.createDirectories(tmp.resolve("bucket"));
    LocalRun.importDeltas(new LocalBlobStore(bucket), deltas);

    Process dying =
        start(
            List.of(
                "run",
                "--bucket-dir",
                bucket.toString(),
                "--claim-lease",
                LEASE.toSeconds() + "s"));
    Path claim = awaitClaim(bucket, dying);
    Instant claimedAt = Instant.now();
    dying.destroyForcibly(); // SIGKILL: no shutdown hook, no finally
    assertTrue(dying.waitFor(30, TimeUnit.SECONDS));
    JsonNode held = JSON.readTree(claim.toFile());
    assertEquals("local-" + dying.pid(), held.path("executionName").asText(), held.toString());
    assertFalse(Files.exists(bucket.resolve("latest")), "killed during Plan: nothing published");

    Run early =
        launch("run", "--bucket-dir", bucket.toString(), "--claim-lease", LEASE.toSeconds() + "s");
    assertEquals(0, early.exit(), early.err());
    if (Duration.between(claimedAt, Instant.now()).compareTo(LEASE.minusSeconds(3)) < 0) {
      assertTrue(early.err().contains("is claimed by execution local-" + dying.pid()), early.err());
      assertTrue(early.out().contains("nothing to compact"), early.out());
      assertFalse(Files.exists(bucket.resolve("latest")));
    }

    Instant lapsed = Instant.parse(JSON.readTree(claim.toFile()).path("expiresAt").asText());
    long wait = Duration.between(Instant.now(), lapsed).toMillis() + 1000;
    if (wait > 0) {
      Thread.sleep(wait);
    }
    Run next =
        launch("run", "--bucket-dir", bucket.toString(), "--claim-lease", LEASE.toSeconds() + "s");
    assertEquals(0, next.exit(), next.err());
    assertTrue(next.err().contains("took over the claim of local-" + dying.pid()), next.err());
    assertTrue(next.out().contains("published "), next.out());
    String latest = Files.readString(bucket.resolve("latest"), StandardCharsets.UTF_8).trim();
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(deltas), ChromaDumps.dump(bucket.resolve(latest)));
  }

  /** The claim file, as soon as Plan wrote it. */
  private static Path awaitClaim(Path bucket, Process p) throws Exception {
    Instant deadline = Instant.now().plusSeconds(120);
    while (Instant.now().isBefore(deadline)) {
      Optional<Path> claim = findClaim(bucket);
      if (claim.isPresent() && Files.size(claim.get()) > 0) {
        return claim.get();
      }
      if (!p.isAlive()) {
        fail(
            "the run ended before it claimed: exit "
                + p.exitValue()
                + ": "
                + read(p.getErrorStream()));
      }
      Thread.sleep(2);
    }
    p.destroyForcibly();
    return fail("no claim within 120 s");
  }

  private static Optional<Path> findClaim(Path bucket) throws IOException {
    Path plans = bucket.resolve("plans");
    if (!Files.isDirectory(plans)) {
      return Optional.empty();
    }
    try (Stream<Path> s = Files.list(plans)) {
      return s.map(d -> d.resolve("claim.json")).filter(Files::isRegularFile).findFirst();
    }
  }

  private static Process start(List<String> args) throws IOException {
    List<String> command = new ArrayList<>(List.of(ROOT.resolve("compactor").toString()));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile());
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    return pb.start();
  }

  private static Run launch(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ROOT.resolve("compactor").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile());
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = pb.start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the run did not finish: " + command);
    return new Run(p.exitValue(), out.join(), err.join());
  }

  private static String read(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
