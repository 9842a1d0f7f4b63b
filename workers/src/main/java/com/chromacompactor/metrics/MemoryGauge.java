package com.chromacompactor.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Memory of this container, as a share of its limit, and the process's peak resident set.
 *
 * <p>Where the figures come from, first match wins:
 *
 * <ol>
 *   <li>cgroup v2: {@code memory.current} and {@code memory.max} under the cgroup root ({@code max}
 *       means no limit);
 *   <li>cgroup v1: {@code memory/memory.usage_in_bytes} and {@code memory/memory.limit_in_bytes} (a
 *       limit near {@code Long.MAX_VALUE} means none);
 *   <li>no limit: the JVM heap, used over {@code -Xmx}.
 * </ol>
 *
 * In both cgroup versions the inactive file cache ({@code inactive_file}, {@code
 * total_inactive_file} in {@code memory.stat}) is taken off the usage, as ECS and {@code docker
 * stats} do: the kernel drops it before it kills anything.
 */
public final class MemoryGauge {
  /**
   * The kernel's "unlimited" on cgroup v1 is a page-rounded Long.MAX_VALUE; anything above 2^60
   * counts as none.
   */
  private static final long NO_LIMIT_V1 = 1L << 60;

  private final Path cgroupRoot;
  private final Path procStatus;

  /** Reads {@code /sys/fs/cgroup} and {@code /proc/self/status}. */
  public static MemoryGauge system() {
    return new MemoryGauge(Path.of("/sys/fs/cgroup"), Path.of("/proc/self/status"));
  }

  /** For tests: other roots. */
  public MemoryGauge(Path cgroupRoot, Path procStatus) {
    this.cgroupRoot = cgroupRoot;
    this.procStatus = procStatus;
  }

  /** One reading of memory use against the limit that applies. */
  public record Reading(long usedBytes, long limitBytes, Source source) {
    public double percent() {
      return limitBytes <= 0 ? 0 : 100.0 * usedBytes / limitBytes;
    }
  }

  /** Which limit a reading is measured against. */
  public enum Source {
    CGROUP_V2,
    CGROUP_V1,
    JVM_HEAP
  }

  public Reading read() {
    Reading v2 = readV2();
    if (v2 != null) {
      return v2;
    }
    Reading v1 = readV1();
    if (v1 != null) {
      return v1;
    }
    Runtime rt = Runtime.getRuntime();
    return new Reading(rt.totalMemory() - rt.freeMemory(), rt.maxMemory(), Source.JVM_HEAP);
  }

  /** VmHWM of this process in MiB, or empty where {@code /proc} has no such line (not Linux). */
  public OptionalLong peakRssMb() {
    try {
      for (String line : Files.readAllLines(procStatus)) {
        if (line.startsWith("VmHWM:")) {
          String[] parts = line.substring("VmHWM:".length()).trim().split("\\s+");
          long kb = Long.parseLong(parts[0]);
          return OptionalLong.of(kb / 1024);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return OptionalLong
          .empty(); // not Linux, or a format we do not know: no figure rather than a wrong one
    }
    return OptionalLong.empty();
  }

  private Reading readV2() {
    Path max = cgroupRoot.resolve("memory.max");
    String limit = readTrimmed(max);
    if (limit == null || limit.equals("max")) {
      return null;
    }
    Long current = parse(readTrimmed(cgroupRoot.resolve("memory.current")));
    Long limitBytes = parse(limit);
    if (current == null || limitBytes == null || limitBytes <= 0) {
      return null;
    }
    long inactive = statValue(cgroupRoot.resolve("memory.stat"), "inactive_file");
    return new Reading(Math.max(0, current - inactive), limitBytes, Source.CGROUP_V2);
  }

  private Reading readV1() {
    Path dir = cgroupRoot.resolve("memory");
    Long limit = parse(readTrimmed(dir.resolve("memory.limit_in_bytes")));
    if (limit == null || limit <= 0 || limit >= NO_LIMIT_V1) {
      return null;
    }
    Long usage = parse(readTrimmed(dir.resolve("memory.usage_in_bytes")));
    if (usage == null) {
      return null;
    }
    long inactive = statValue(dir.resolve("memory.stat"), "total_inactive_file");
    return new Reading(Math.max(0, usage - inactive), limit, Source.CGROUP_V1);
  }

  private static long statValue(Path stat, String key) {
    try {
      for (String line : Files.readAllLines(stat)) {
        int space = line.indexOf(' ');
        if (space > 0 && line.substring(0, space).equals(key)) {
          Long v = parse(line.substring(space + 1).trim());
          return v == null ? 0 : v;
        }
      }
    } catch (IOException e) {
      return 0; // memory.stat is optional: the usage is then reported with the cache in it
    }
    return 0;
  }

  private static String readTrimmed(Path file) {
    try {
      return Files.readString(file).trim();
    } catch (IOException e) {
      return null; // absent or unreadable: the next source is tried
    }
  }

  private static Long parse(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
