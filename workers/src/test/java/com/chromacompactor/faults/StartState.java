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
import java.util.List;
import java.util.stream.Stream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Where every run of the sweep starts: a bucket whose {@code latest} names a snapshot of the first two deltas
 * (published by a local run of the product), with the batch under test pending beside it: four good deltas over
 * three collections and one that is not a database. Built once per JVM as a folder laid out like the bucket, and
 * uploaded into a fresh S3 bucket for each run.
 */
final class StartState {
  /** Words deltas one per chunk, so that one collection spans two chunks. */
  static final Planner.ChunkSizes CHUNK_SIZES = new Planner.ChunkSizes(1, 25, 25);
  private static final int BASE_DELTAS = 2;
  private static StartState instance;

  /** A delta as the producer wrote it: its key, its folder, its place in write order, and whether it is bad. */
  record Delta(String key, Path source, int sequence, boolean bad) {}

  final List<Delta> deltas;
  final Path bucket;

  private StartState(List<Delta> deltas, Path bucket) {
    this.deltas = List.copyOf(deltas);
    this.bucket = bucket;
  }

  static synchronized StartState get() {
    if (instance == null) {
      try {
        instance = build(TempTrees.create("fault-start-"));
      } catch (Exception e) {
        throw new IllegalStateException("cannot build the sweep's start state", e);
      }
    }
    return instance;
  }

  private static StartState build(Path root) throws Exception {
    Path made = root.resolve("deltas");
    ChromaPython.runScript("fault_validator.py", "deltas", made);
    JsonNode listing = new ObjectMapper().readTree(made.resolve("deltas.json").toFile());
    List<Delta> deltas = new ArrayList<>();
    for (JsonNode d : listing) {
      String name = d.path("name").asText();
      deltas.add(new Delta("deltas/" + name + "/", made.resolve(name), deltas.size(), d.path("bad").asBoolean()));
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
    return new StartState(deltas, bucket);
  }

  /** The deltas the batch under test takes: those not in the published base. */
  List<Delta> pending() {
    return deltas.subList(BASE_DELTAS, deltas.size());
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
