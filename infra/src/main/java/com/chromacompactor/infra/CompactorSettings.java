package com.chromacompactor.infra;

import com.chromacompactor.statemachine.contract.ChunkSizes;
import com.chromacompactor.statemachine.contract.DurationText;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.WorkerEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import software.constructs.Node;

/**
 * The deployment's settings, read once from the CDK context ({@code cdk.json}'s {@code context}, or
 * {@code -c key=value} on the command line). Every key is optional; the defaults are the {@code
 * DEFAULT_*} constants.
 *
 * <table>
 *   <caption>Context keys</caption>
 *   <tr><td>{@code scheduleEnabled}</td><td>{@code false} removes the EventBridge schedule</td></tr>
 *   <tr><td>{@code scheduleRate}</td><td>an EventBridge schedule expression, {@code rate(...)} or {@code cron(...)}</td></tr>
 *   <tr><td>{@code parallelModeMaxEmbeddings}</td><td>plans above this many embeddings run SEQUENTIAL</td></tr>
 *   <tr><td>{@code inlineMapMaxChunks}</td><td>plans above this many chunks use the Distributed Map</td></tr>
 *   <tr><td>{@code minWorkers}, {@code maxWorkers}</td><td>bounds of the Fargate service's task count</td></tr>
 *   <tr><td>{@code workerConcurrency}</td><td>activity tasks one worker runs at once</td></tr>
 *   <tr><td>{@code workerCpu}, {@code workerMemoryMiB}, {@code workerEphemeralStorageGiB}</td><td>task size</td></tr>
 *   <tr><td>{@code heartbeatSeconds}</td><td>HeartbeatSeconds of the activity tasks</td></tr>
 *   <tr><td>{@code bucketEncryption}</td><td>{@code s3} (SSE-S3, the default) or {@code kms} (SSE-KMS with a key of
 *       the stack, rotated yearly; the workers may use it)</td></tr>
 *   <tr><td>{@code lineages}</td><td>the snapshot lines of the bucket: a JSON list of names, or names separated by
 *       commas; each gets its own schedule, and the workers may use its keys ({@code <name>/...}) only. Default: the
 *       bucket's root only</td></tr>
 *   <tr><td>{@code settle}</td><td>how old an unmarked delta's newest object must be before Plan takes it
 *       ({@code 10m})</td></tr>
 *   <tr><td>{@code incompleteUploadLimit}</td><td>how long a delta may stay incomplete before it is quarantined
 *       ({@code 24h})</td></tr>
 *   <tr><td>{@code waitingAlarmAfter}</td><td>the oldest waiting delta's age that raises the alarm ({@code 3h})</td></tr>
 *   <tr><td>{@code chromaVersion}</td><td>the release line of the readers the snapshots are written for:
 *       {@code 0.6} (chromadb 0.5.6-0.6.3), {@code 1.0} (1.0-1.2), {@code 1.3} (1.3-1.4) or {@code 1.5} (the default);
 *       passed to the workers as {@code COMPACTOR_CHROMA_VERSION}</td></tr>
 *   <tr><td>{@code keepSnapshots}</td><td>published snapshots the CollectGarbage step keeps, latest included
 *       ({@code 3})</td></tr>
 *   <tr><td>{@code minSnapshotAge}</td><td>no snapshot younger than this is deleted ({@code 24h})</td></tr>
 *   <tr><td>{@code deltaRetention}</td><td>how long consumed deltas and finished plans stay ({@code 7d})</td></tr>
 *   <tr><td>{@code gcDryRun}</td><td>{@code true}: the CollectGarbage step only reports what it would delete
 *       ({@code false})</td></tr>
 *   <tr><td>{@code chunkSizes}</td><td>deltas per chunk by collection: a JSON object ({@code {"receipt_words": 15}})
 *       or {@code name=N,name=N}; passed to the workers as {@code COMPACTOR_CHUNK_SIZES}</td></tr>
 *   <tr><td>{@code chunkSizeDefault}</td><td>deltas per chunk of a collection {@code chunkSizes} does not name
 *       ({@code 25}, {@code COMPACTOR_CHUNK_SIZE_DEFAULT})</td></tr>
 *   <tr><td>{@code workersDirectory}</td><td>the Docker build context with {@code Dockerfile}, relative to the
 *       working directory (the repository root under {@code cdk})</td></tr>
 * </table>
 *
 * @param schedule the schedule expression, or empty when the schedule is disabled
 * @param lineages the snapshot lines, each with its own schedule; {@link Lineage#NONE} is the root
 * @param settle {@code COMPACTOR_SETTLE} of the workers
 * @param incompleteUploadLimit {@code COMPACTOR_INCOMPLETE_UPLOAD_LIMIT} of the workers
 * @param waitingAlarmAfter the age of the oldest waiting delta that raises the alarm
 * @param keepSnapshots {@code COMPACTOR_GC_KEEP_SNAPSHOTS} of the workers
 * @param minSnapshotAge {@code COMPACTOR_GC_MIN_SNAPSHOT_AGE}
 * @param deltaRetention {@code COMPACTOR_GC_DELTA_RETENTION}
 * @param gcDryRun {@code COMPACTOR_GC_DRY_RUN}
 * @param chunkSizes {@code COMPACTOR_CHUNK_SIZES} and {@code COMPACTOR_CHUNK_SIZE_DEFAULT}
 */
public record CompactorSettings(
    Optional<String> schedule,
    long parallelModeMaxEmbeddings,
    int inlineMapMaxChunks,
    int minWorkers,
    int maxWorkers,
    int workerConcurrency,
    int workerCpu,
    int workerMemoryMiB,
    int workerEphemeralStorageGiB,
    int heartbeatSeconds,
    Path workersDirectory,
    BucketKeys bucketKeys,
    List<Lineage> lineages,
    Duration settle,
    Duration incompleteUploadLimit,
    Duration waitingAlarmAfter,
    String chromaVersion,
    int keepSnapshots,
    Duration minSnapshotAge,
    Duration deltaRetention,
    boolean gcDryRun,
    ChunkSizes chunkSizes) {

  /** Who holds the keys of the bucket's server-side encryption. */
  public enum BucketKeys {
    /** SSE-S3: keys managed by S3. */
    S3,
    /** SSE-KMS: a customer managed key created with the stack. */
    KMS;

    static BucketKeys parse(String value) {
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "s3" -> S3;
        case "kms" -> KMS;
        default ->
            throw new IllegalArgumentException(
                "bucketEncryption must be s3 or kms, got '" + value + "'");
      };
    }
  }

  public static final String DEFAULT_SCHEDULE_RATE = "rate(1 hour)";
  public static final long DEFAULT_PARALLEL_MODE_MAX_EMBEDDINGS = 1_500;
  public static final int DEFAULT_INLINE_MAP_MAX_CHUNKS = 100;
  public static final int DEFAULT_MIN_WORKERS = 0;
  public static final int DEFAULT_MAX_WORKERS = 10;
  public static final int DEFAULT_WORKER_CONCURRENCY = 2;
  public static final int DEFAULT_WORKER_CPU = 1024;
  public static final int DEFAULT_WORKER_MEMORY_MIB = 4096;
  public static final int DEFAULT_WORKER_EPHEMERAL_STORAGE_GIB = 40;
  public static final int DEFAULT_HEARTBEAT_SECONDS = 60;
  public static final String DEFAULT_WORKERS_DIRECTORY = "workers";
  public static final Duration DEFAULT_SETTLE = Duration.ofMinutes(10);
  public static final Duration DEFAULT_INCOMPLETE_UPLOAD_LIMIT = Duration.ofHours(24);

  /**
   * Above the default schedule's hour plus the settle window, well below the incomplete-upload
   * limit.
   */
  public static final Duration DEFAULT_WAITING_ALARM_AFTER = Duration.ofHours(3);

  public static final int DEFAULT_KEEP_SNAPSHOTS = 3;
  public static final Duration DEFAULT_MIN_SNAPSHOT_AGE = Duration.ofHours(24);
  public static final Duration DEFAULT_DELTA_RETENTION = Duration.ofDays(7);

  public CompactorSettings {
    Objects.requireNonNull(schedule, "schedule");
    schedule.ifPresent(
        expression -> {
          if (!expression.matches("(rate|cron)\\(.+\\)")) {
            throw new IllegalArgumentException(
                "scheduleRate must be rate(...) or cron(...), got '" + expression + "'");
          }
        });
    if (minWorkers < 0 || maxWorkers < 1 || minWorkers > maxWorkers) {
      throw new IllegalArgumentException(
          "need 0 <= minWorkers <= maxWorkers and maxWorkers >= 1, got minWorkers="
              + minWorkers
              + ", maxWorkers="
              + maxWorkers);
    }
    if (workerConcurrency < 1) {
      throw new IllegalArgumentException(
          "workerConcurrency must be >= 1, got " + workerConcurrency);
    }
    if (heartbeatSeconds < 10) {
      throw new IllegalArgumentException("heartbeatSeconds must be >= 10, got " + heartbeatSeconds);
    }
    Objects.requireNonNull(workersDirectory, "workersDirectory");
    Objects.requireNonNull(bucketKeys, "bucketKeys");
    lineages = List.copyOf(lineages);
    if (lineages.isEmpty() || new HashSet<>(lineages).size() != lineages.size()) {
      throw new IllegalArgumentException(
          "lineages must be distinct and at least one, got " + lineages);
    }
    if (settle.isNegative() || incompleteUploadLimit.compareTo(settle) < 0) {
      throw new IllegalArgumentException(
          "need 0 <= settle <= incompleteUploadLimit, got settle="
              + settle
              + ", incompleteUploadLimit="
              + incompleteUploadLimit);
    }
    if (waitingAlarmAfter.isNegative() || waitingAlarmAfter.isZero()) {
      throw new IllegalArgumentException(
          "waitingAlarmAfter must be positive, got " + waitingAlarmAfter);
    }
    if (!WorkerEnvironment.CHROMA_VERSIONS.contains(chromaVersion)) {
      throw new IllegalArgumentException(
          "chromaVersion must be one of "
              + WorkerEnvironment.CHROMA_VERSIONS
              + " (the readers' chromadb release line), got '"
              + chromaVersion
              + "'");
    }
    if (keepSnapshots < 1) {
      throw new IllegalArgumentException(
          "keepSnapshots must be at least 1 (latest), got " + keepSnapshots);
    }
    if (minSnapshotAge.isNegative() || deltaRetention.isNegative()) {
      throw new IllegalArgumentException(
          "minSnapshotAge and deltaRetention must be 0 or more, got "
              + minSnapshotAge
              + " and "
              + deltaRetention);
    }
    Objects.requireNonNull(chunkSizes, "chunkSizes");
  }

  /** All defaults: schedule enabled at {@value #DEFAULT_SCHEDULE_RATE}. */
  public static CompactorSettings defaults() {
    return new CompactorSettings(
        Optional.of(DEFAULT_SCHEDULE_RATE),
        DEFAULT_PARALLEL_MODE_MAX_EMBEDDINGS,
        DEFAULT_INLINE_MAP_MAX_CHUNKS,
        DEFAULT_MIN_WORKERS,
        DEFAULT_MAX_WORKERS,
        DEFAULT_WORKER_CONCURRENCY,
        DEFAULT_WORKER_CPU,
        DEFAULT_WORKER_MEMORY_MIB,
        DEFAULT_WORKER_EPHEMERAL_STORAGE_GIB,
        DEFAULT_HEARTBEAT_SECONDS,
        Path.of(DEFAULT_WORKERS_DIRECTORY),
        BucketKeys.S3,
        List.of(Lineage.NONE),
        DEFAULT_SETTLE,
        DEFAULT_INCOMPLETE_UPLOAD_LIMIT,
        DEFAULT_WAITING_ALARM_AFTER,
        WorkerEnvironment.DEFAULT_CHROMA_VERSION,
        DEFAULT_KEEP_SNAPSHOTS,
        DEFAULT_MIN_SNAPSHOT_AGE,
        DEFAULT_DELTA_RETENTION,
        false,
        ChunkSizes.defaults());
  }

  /**
   * Reads every key from the context of {@code node} (the app's node), falling back to the
   * defaults.
   */
  public static CompactorSettings fromContext(Node node) {
    ContextReader ctx = new ContextReader(node);
    Optional<String> schedule =
        ctx.bool("scheduleEnabled", true)
            ? Optional.of(ctx.string("scheduleRate", DEFAULT_SCHEDULE_RATE))
            : Optional.empty();
    return new CompactorSettings(
        schedule,
        ctx.number("parallelModeMaxEmbeddings", DEFAULT_PARALLEL_MODE_MAX_EMBEDDINGS),
        (int) ctx.number("inlineMapMaxChunks", DEFAULT_INLINE_MAP_MAX_CHUNKS),
        (int) ctx.number("minWorkers", DEFAULT_MIN_WORKERS),
        (int) ctx.number("maxWorkers", DEFAULT_MAX_WORKERS),
        (int) ctx.number("workerConcurrency", DEFAULT_WORKER_CONCURRENCY),
        (int) ctx.number("workerCpu", DEFAULT_WORKER_CPU),
        (int) ctx.number("workerMemoryMiB", DEFAULT_WORKER_MEMORY_MIB),
        (int) ctx.number("workerEphemeralStorageGiB", DEFAULT_WORKER_EPHEMERAL_STORAGE_GIB),
        (int) ctx.number("heartbeatSeconds", DEFAULT_HEARTBEAT_SECONDS),
        Path.of(ctx.string("workersDirectory", DEFAULT_WORKERS_DIRECTORY)),
        BucketKeys.parse(ctx.string("bucketEncryption", "s3")),
        ctx.lineages("lineages"),
        ctx.duration("settle", DEFAULT_SETTLE),
        ctx.duration("incompleteUploadLimit", DEFAULT_INCOMPLETE_UPLOAD_LIMIT),
        ctx.duration("waitingAlarmAfter", DEFAULT_WAITING_ALARM_AFTER),
        ctx.string("chromaVersion", WorkerEnvironment.DEFAULT_CHROMA_VERSION).trim(),
        (int) ctx.number("keepSnapshots", DEFAULT_KEEP_SNAPSHOTS),
        ctx.duration("minSnapshotAge", DEFAULT_MIN_SNAPSHOT_AGE),
        ctx.duration("deltaRetention", DEFAULT_DELTA_RETENTION),
        ctx.bool("gcDryRun", false),
        ctx.chunkSizes("chunkSizes", "chunkSizeDefault"));
  }

  /**
   * Context values arrive as JSON values from cdk.json and as strings from {@code -c key=value}.
   */
  private record ContextReader(Node node) {
    Object raw(String key) {
      return node.tryGetContext(key);
    }

    String string(String key, String fallback) {
      Object v = raw(key);
      return v == null ? fallback : v.toString();
    }

    boolean bool(String key, boolean fallback) {
      Object v = raw(key);
      if (v == null) {
        return fallback;
      }
      if (v instanceof Boolean b) {
        return b;
      }
      return switch (v.toString().trim().toLowerCase(Locale.ROOT)) {
        case "true" -> true;
        case "false" -> false;
        default ->
            throw new IllegalArgumentException(
                "context " + key + " must be true or false, got '" + v + "'");
      };
    }

    Duration duration(String key, Duration fallback) {
      Object v = raw(key);
      return v == null ? fallback : DurationText.parse("context " + key, v.toString());
    }

    /** A JSON list of names (cdk.json), or one string of names separated by commas ({@code -c}). */
    List<Lineage> lineages(String key) {
      Object v = raw(key);
      if (v == null) {
        return List.of(Lineage.NONE);
      }
      List<String> names = new ArrayList<>();
      if (v instanceof List<?> list) {
        list.forEach(n -> names.add(String.valueOf(n).trim()));
      } else {
        for (String n : v.toString().split(",")) {
          names.add(n.trim());
        }
      }
      names.removeIf(String::isEmpty);
      if (names.isEmpty()) {
        return List.of(Lineage.NONE);
      }
      try {
        return names.stream().map(Lineage::of).toList();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("context " + key + ": " + e.getMessage(), e);
      }
    }

    /**
     * A JSON object of names and sizes (cdk.json), or {@code name=N,name=N} ({@code -c}); over the
     * default.
     */
    ChunkSizes chunkSizes(String key, String defaultKey) {
      Object v = raw(key);
      Map<String, Integer> sizes = new TreeMap<>();
      try {
        if (v instanceof Map<?, ?> map) {
          map.forEach(
              (name, size) ->
                  sizes.put(
                      String.valueOf(name),
                      ChunkSizes.parseSize(
                          "context " + key + " of " + name, String.valueOf(size))));
        } else if (v != null) {
          sizes.putAll(ChunkSizes.parseMapping("context " + key, v.toString()));
        }
        long fallback = number(defaultKey, ChunkSizes.DEFAULT_SIZE);
        if (fallback < 1 || fallback > Integer.MAX_VALUE) {
          throw new IllegalArgumentException(
              "context " + defaultKey + " must be at least 1 delta, got " + fallback);
        }
        return new ChunkSizes((int) fallback, sizes);
      } catch (IllegalArgumentException e) {
        throw e.getMessage().startsWith("context ")
            ? e
            : new IllegalArgumentException("context " + key + ": " + e.getMessage(), e);
      }
    }

    long number(String key, long fallback) {
      Object v = raw(key);
      if (v == null) {
        return fallback;
      }
      if (v instanceof Number n) {
        if (n.doubleValue() != Math.rint(n.doubleValue())) {
          throw new IllegalArgumentException(
              "context " + key + " must be a whole number, got " + v);
        }
        return n.longValue();
      }
      try {
        return Long.parseLong(v.toString().trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "context " + key + " must be a whole number, got '" + v + "'", e);
      }
    }
  }
}
