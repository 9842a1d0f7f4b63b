package com.chromacompactor.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryGaugeTest {
  @TempDir Path root;

  @Test
  void cgroupV2UsageWithoutInactiveFileCacheOverTheLimit() throws Exception {
    Files.writeString(root.resolve("memory.max"), "1073741824\n");
    Files.writeString(root.resolve("memory.current"), "644245094\n");
    Files.writeString(
        root.resolve("memory.stat"), "anon 400000000\nfile 200000000\ninactive_file 107374182\n");
    MemoryGauge.Reading r = gauge().read();
    assertEquals(MemoryGauge.Source.CGROUP_V2, r.source());
    assertEquals(536870912, r.usedBytes());
    assertEquals(50.0, r.percent(), 1e-9);
  }

  @Test
  void cgroupV1WhenV2HasNoLimit() throws Exception {
    Files.writeString(root.resolve("memory.max"), "max\n"); // v2 without a limit
    Path v1 = Files.createDirectories(root.resolve("memory"));
    Files.writeString(v1.resolve("memory.limit_in_bytes"), "2147483648\n");
    Files.writeString(v1.resolve("memory.usage_in_bytes"), "1610612736\n");
    Files.writeString(
        v1.resolve("memory.stat"), "cache 600000000\ntotal_inactive_file 536870912\n");
    MemoryGauge.Reading r = gauge().read();
    assertEquals(MemoryGauge.Source.CGROUP_V1, r.source());
    assertEquals(50.0, r.percent(), 1e-9);
  }

  @Test
  void jvmHeapWhenNoCgroupSetsALimit() throws Exception {
    Path v1 = Files.createDirectories(root.resolve("memory"));
    Files.writeString(
        v1.resolve("memory.limit_in_bytes"), "9223372036854771712\n"); // v1's "unlimited"
    Files.writeString(v1.resolve("memory.usage_in_bytes"), "1000\n");
    MemoryGauge.Reading r = gauge().read();
    assertEquals(MemoryGauge.Source.JVM_HEAP, r.source());
    assertEquals(Runtime.getRuntime().maxMemory(), r.limitBytes());
    assertTrue(r.percent() > 0 && r.percent() < 100, "percent " + r.percent());
  }

  @Test
  void peakRssIsVmHwmInMebibytes() throws Exception {
    Files.writeString(
        root.resolve("status"),
        "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t  314572 kB\nVmRSS:\t 1 kB\n");
    assertEquals(OptionalLong.of(307), gauge().peakRssMb());
    assertEquals(OptionalLong.empty(), new MemoryGauge(root, root.resolve("absent")).peakRssMb());
  }

  @Test
  void thisMachineGivesAReadingAndAPeak() {
    MemoryGauge.Reading r = MemoryGauge.system().read();
    assertTrue(r.percent() > 0 && r.percent() <= 100, r.toString());
    assertTrue(MemoryGauge.system().peakRssMb().orElse(1) > 0);
  }

  private MemoryGauge gauge() {
    return new MemoryGauge(root, root.resolve("status"));
  }
}
