package com.chromacompactor.faults;

import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.storage.StorageKeys;
import com.chromacompactor.testing.ChromaPython;
import com.chromacompactor.testing.TempTrees;
import com.chromacompactor.workflow.DeltaMarker;
import com.chromacompactor.workflow.DeltaPush;
import com.chromacompactor.workflow.LocalRun;
import com.chromacompactor.workflow.OutputManifest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Where every run of the sweep starts: a bucket whose {@code latest} names a snapshot of the first
 * two deltas (published by a local run of the product), with the batch under test pending beside
 * it: four good deltas over three collections and, in the {@link Variant#WITH_BAD_DELTA} variant,
 * one that is not a database. Built once per JVM as a folder laid out like the bucket, and uploaded
 * into a fresh S3 bucket for each run.
 */
final class StartState {
  /** Words deltas one per chunk, so that one collection spans two chunks. */
  static final ChunkSizes CHUNK_SIZES = new ChunkSizes(ChunkSizes.DEFAULT_SIZE, Map.of("words", 1));

  private static final int BASE_DELTAS = 2;
  private static final Map<Variant, StartState> INSTANCES = new EnumMap<>(Variant.class);
  private static Path made;

  /**
   * Which batch is pending.
   *
   * <p>A quarantine marks its delta consumed at once, so a run after a failed one sees other
   * pending deltas, hence another batch id, and a claim the failed run left does not stand in its
   * way. The bad delta's batch therefore cannot show a stale claim once Plan has quarantined; the
   * clean batch shows one after any failure.
   */
  enum Variant {
    /**
     * The good deltas and one that is not a database, which Plan quarantines: the quarantine's
     * writes are swept.
     */
    WITH_BAD_DELTA,
    /** The good deltas only. */
    CLEAN
  }

  /**
   * A delta as the producer wrote it: its key, its folder, its place in write order, and whether it
   * is bad.
   */
  record Delta(String key, Path source, int sequence, boolean bad) {}

  /**
   * The delta a producer pushes ({@code compactor push}) while the batch runs, and the sequence it
   * pushes it with: after every delta of the start, so it merges last.
   */
  record Pushed(Delta delta, long sequence) {}

  final Variant variant;

  /** The deltas in the bucket, in write order: the base's, then the batch's. */
  final List<Delta> deltas;

  final Path bucket;

  /**
   * The published base, which the batch's garbage collection deletes once the batch is published
   * (the sweep keeps one snapshot): its prefix and the deltas it consumed, which the validator then
   * cannot read from its manifest.
   */
  final Map<String, List<String>> collectableBase;

  final Pushed pushed;

  private StartState(
      Variant variant, List<Delta> deltas, Path bucket, String basePrefix, Pushed pushed) {
    this.variant = variant;
    this.deltas = List.copyOf(deltas);
    this.bucket = bucket;
    this.collectableBase =
        Map.of(basePrefix, deltas.subList(0, BASE_DELTAS).stream().map(Delta::key).toList());
    this.pushed = pushed;
  }

  /**
   * The good deltas of the batch under test: what a snapshot of the batch consumed beside the
   * base's.
   */
  List<String> batchKeys() {
    return deltas.subList(BASE_DELTAS, deltas.size()).stream()
        .filter(d -> !d.bad())
        .map(Delta::key)
        .toList();
  }

  /** Every delta a snapshot of the batch holds: the base's and the batch's good ones. */
  List<String> throughBatch() {
    List<String> keys =
        new ArrayList<>(deltas.subList(0, BASE_DELTAS).stream().map(Delta::key).toList());
    keys.addAll(batchKeys());
    return keys;
  }

  static synchronized StartState get(Variant variant) {
    return INSTANCES.computeIfAbsent(
        variant,
        v -> {
          try {
            return build(v, TempTrees.create("fault-start-"));
          } catch (Exception e) {
            throw new IllegalStateException("cannot build the sweep's start state " + v, e);
          }
        });
  }

  /** The deltas chromadb made for the sweep, once per JVM: the start's, then the pushed one. */
  private static List<Delta> made() throws Exception {
    if (made == null) {
      made = TempTrees.create("fault-deltas-").resolve("deltas");
      ChromaPython.runScript("fault_validator.py", "deltas", made);
    }
    JsonNode listing = new ObjectMapper().readTree(made.resolve("deltas.json").toFile());
    List<Delta> deltas = new ArrayList<>();
    for (JsonNode d : listing) {
      String name = d.path("name").asText();
      deltas.add(
          new Delta(
              "deltas/" + name + "/",
              made.resolve(name),
              deltas.size(),
              d.path("bad").asBoolean()));
      if (d.path("pushed").asBoolean() && deltas.size() != listing.size()) {
        throw new IllegalStateException(
            "the pushed delta comes last in " + made.resolve("deltas.json"));
      }
    }
    return deltas;
  }

  private static StartState build(Variant variant, Path root) throws Exception {
    List<Delta> deltas = new ArrayList<>(made());
    Delta toPush = deltas.remove(deltas.size() - 1);
    if (variant == Variant.CLEAN) {
      deltas.removeIf(Delta::bad);
    }
    Path bucket = root.resolve("bucket");
    LocalBlobStore store = new LocalBlobStore(Files.createDirectories(bucket));
    LocalRun.Settings settings = new LocalRun.Settings(CHUNK_SIZES, 1500, "quarantine");
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    // Sequences by place (1, 2, ...), not by the clock: a batch id hashes them, and the request
    // names that hold it
    // must be the same in every JVM, so that a printed replay command finds its request.
    for (Delta d : deltas.subList(0, BASE_DELTAS)) {
      commit(store, d);
    }
    LocalRun.Result base =
        new LocalRun(store, settings, Files.createDirectories(root.resolve("scratch")), quiet)
            .run("start-base");
    if (base.publish() == null) {
      throw new IllegalStateException("the base batch published nothing");
    }
    List<Delta> batch = deltas.subList(BASE_DELTAS, deltas.size());
    for (Delta d : batch) {
      if (d.bad()) {
        commitUnchecked(store, d);
      } else {
        commit(store, d);
      }
    }
    return new StartState(
        variant,
        deltas,
        bucket,
        base.publish().snapshotPrefix(),
        new Pushed(
            new Delta(toPush.key(), toPush.source(), deltas.size(), false), toPush.sequence() + 1));
  }

  /** A good delta as {@code compactor push} commits it, at sequence {@code place + 1}. */
  private static void commit(LocalBlobStore store, Delta d) throws IOException {
    DeltaPush.push(
        store,
        Lineage.NONE,
        d.source(),
        StorageKeys.folderName(d.key()),
        d.sequence() + 1,
        "fault sweep start");
  }

  /**
   * A bad delta as a producer that skips {@code compactor push}'s check commits it: its files, then
   * a marker that lists them, after the good ones in write order. The push would refuse it; Plan
   * must quarantine it.
   */
  private static void commitUnchecked(LocalBlobStore store, Delta bad) throws IOException {
    List<DeltaMarker.FileEntry> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(bad.source())) {
      for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
        String relative = bad.source().relativize(f).toString().replace('\\', '/');
        store.upload(f, bad.key() + relative);
        files.add(new DeltaMarker.FileEntry(relative, Files.size(f), OutputManifest.sha256(f)));
      }
    }
    store.put(
        bad.key() + DeltaMarker.FILE,
        new DeltaMarker(
                bad.sequence() + 1, Optional.of(files), "fault sweep: unchecked", Instant.now())
            .toJson());
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
