package com.chromacompactor.faults;

import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.ChromaPython;
import com.chromacompactor.testing.TempTrees;
import com.chromacompactor.workflow.LocalRun;
import com.chromacompactor.workflow.Planner;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Where every run of the sweep starts: a bucket whose {@code latest} names a snapshot of the first two deltas
 * (published by a local run of the product), with the batch under test pending beside it: four good deltas over
 * three collections and, in the {@link Variant#WITH_BAD_DELTA} variant, one that is not a database. Built once per
 * JVM as a folder laid out like the bucket, and uploaded into a fresh S3 bucket for each run.
 */
final class StartState {
  /** Words deltas one per chunk, so that one collection spans two chunks. */
  static final Planner.ChunkSizes CHUNK_SIZES = new Planner.ChunkSizes(1, 25, 25);
  private static final int BASE_DELTAS = 2;
  private static final Map<Variant, StartState> INSTANCES = new EnumMap<>(Variant.class);
  private static Path made;

  /**
   * Which batch is pending.
   *
   * <p>A quarantine marks its delta consumed at once, so a run after a failed one sees other pending deltas, hence
   * another batch id, and a claim the failed run left does not stand in its way. The bad delta's batch therefore
   * cannot show a stale claim once Plan has quarantined; the clean batch shows one after any failure.
   */
  enum Variant {
    /** The good deltas and one that is not a database, which Plan quarantines: the quarantine's writes are swept. */
    WITH_BAD_DELTA,
    /** The good deltas only. */
    CLEAN
  }

  /** A delta as the producer wrote it: its key, its folder, its place in write order, and whether it is bad. */
  record Delta(String key, Path source, int sequence, boolean bad) {}

  final Variant variant;
  /** The deltas in the bucket, in write order: the base's, then the batch's. */
  final List<Delta> deltas;
  final Path bucket;

  private StartState(Variant variant, List<Delta> deltas, Path bucket) {
    this.variant = variant;
    this.deltas = List.copyOf(deltas);
    this.bucket = bucket;
  }

  static synchronized StartState get(Variant variant) {
    return INSTANCES.computeIfAbsent(variant, v -> {
      try {
        return build(v, TempTrees.create("fault-start-"));
      } catch (Exception e) {
        throw new IllegalStateException("cannot build the sweep's start state " + v, e);
      }
    });
  }

  /** The deltas chromadb made for the sweep, once per JVM. */
  private static List<Delta> made() throws Exception {
    if (made == null) {
      made = TempTrees.create("fault-deltas-").resolve("deltas");
      ChromaPython.runScript("fault_validator.py", "deltas", made);
    }
    JsonNode listing = new ObjectMapper().readTree(made.resolve("deltas.json").toFile());
    List<Delta> deltas = new ArrayList<>();
    for (JsonNode d : listing) {
      String name = d.path("name").asText();
      deltas.add(new Delta("deltas/" + name + "/", made.resolve(name), deltas.size(), d.path("bad").asBoolean()));
    }
    return deltas;
  }

  private static StartState build(Variant variant, Path root) throws Exception {
    List<Delta> deltas = new ArrayList<>(made());
    if (variant == Variant.CLEAN) {
      deltas.removeIf(Delta::bad);
    }
    Path bucket = root.resolve("bucket");
    LocalBlobStore store = new LocalBlobStore(Files.createDirectories(bucket));
    LocalRun.Settings settings = new LocalRun.Settings(CHUNK_SIZES, 1500, "quarantine");
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    LocalRun.importDeltas(store, deltas.subList(0, BASE_DELTAS).stream().map(Delta::source).toList());
    LocalRun.Result base = new LocalRun(store, settings, Files.createDirectories(root.resolve("scratch")), quiet)
        .run("start-base");
    if (base.publish() == null) {
      throw new IllegalStateException("the base batch published nothing");
    }
    LocalRun.importDeltas(store, deltas.subList(BASE_DELTAS, deltas.size()).stream().map(Delta::source).toList());
    return new StartState(variant, deltas, bucket);
  }

  /** Copies the start into an empty S3 bucket, key for key. */
  void uploadTo(S3Client s3, String bucketName) {
    try (Stream<Path> walk = Files.walk(bucket)) {
      for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
        String key = bucket.relativize(f).toString().replace('\\', '/');
        s3.putObject(b -> b.bucket(bucketName).key(key), RequestBody.fromFile(f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
