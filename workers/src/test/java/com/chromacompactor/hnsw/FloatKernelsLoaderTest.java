package com.chromacompactor.hnsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FloatKernelsLoaderTest {

  @Test
  void theProductUsesTheVectorApiWhenTheModuleIsThere() {
    assumeTrue(
        System.getProperty(FloatKernels.PROPERTY) == null, "kernels forced on the command line");
    assertTrue(
        ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
        "surefire's argLine should add jdk.incubator.vector (workers/pom.xml)");
    assertEquals(PanamaKernels.class, FloatKernels.INSTANCE.getClass());
    assertEquals("PanamaKernels", FloatKernels.INSTANCE.name());
  }

  @Test
  void automaticChoiceFollowsTheModule() {
    assertEquals(PanamaKernels.class, FloatKernels.Loader.load(null, true).getClass());
    assertEquals(PanamaKernels.class, FloatKernels.Loader.load(" ", true).getClass());
    assertEquals(FloatKernels.Unrolled.class, FloatKernels.Loader.load(null, false).getClass());
    assertEquals("Unrolled", FloatKernels.Loader.load(null, false).name());
  }

  @Test
  void thePropertyForcesAnImplementation() {
    assertEquals(
        FloatKernels.Unrolled.class, FloatKernels.Loader.load("unrolled", true).getClass());
    assertEquals(
        FloatKernels.Unrolled.class,
        FloatKernels.Loader.load("com.chromacompactor.hnsw.FloatKernels$Unrolled", true)
            .getClass());
    assertEquals(PanamaKernels.class, FloatKernels.Loader.load("Panama", false).getClass());
    assertEquals(
        PanamaKernels.class,
        FloatKernels.Loader.load("com.chromacompactor.hnsw.PanamaKernels", true).getClass());
  }

  @Test
  void aForcedImplementationThatCannotLoadOrDisagreesIsAnError() {
    IllegalStateException missing =
        assertThrows(
            IllegalStateException.class,
            () -> FloatKernels.Loader.load("com.example.NoSuchKernels", true));
    assertTrue(
        missing
            .getMessage()
            .startsWith(
                "-Dchromacompactor.hnsw.kernels=com.example.NoSuchKernels cannot be loaded"),
        missing.getMessage());
    assertThrows(
        IllegalStateException.class,
        () -> FloatKernels.Loader.load("java.lang.StringBuilder", true));
    IllegalStateException wrong =
        assertThrows(
            IllegalStateException.class,
            () -> FloatKernels.Loader.load(Zero.class.getName(), true));
    assertTrue(wrong.getMessage().contains("disagrees with the scalar loops"), wrong.getMessage());
  }

  /** Loads, but computes nothing: the loader's first call must refuse it. */
  public static final class Zero implements FloatKernels {
    @Override
    public float dot(float[] q, ByteBuffer bytes, FloatBuffer floats, int at) {
      return 0;
    }

    @Override
    public float squareDistance(float[] q, ByteBuffer bytes, FloatBuffer floats, int at) {
      return 0;
    }
  }

  /** Prints the kernels a fresh JVM picks (run by the tests below with and without the module). */
  public static final class Probe {
    public static void main(String[] args) {
      System.out.println("kernels=" + FloatKernels.INSTANCE.name());
    }
  }

  static String runProbe(List<String> jvmOptions, int expectedExit)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-Xlog:class+load=info",
            "-cp",
            System.getProperty("java.class.path"),
            Probe.class.getName()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(expectedExit, p.exitValue(), out);
    return out;
  }

  @Test
  void aJvmWithoutTheModuleFallsBackWithoutLoadingPanamaKernels() throws Exception {
    String out = runProbe(List.of(), 0);
    assertTrue(out.contains("kernels=Unrolled"), out);
    assertFalse(
        out.contains("com.chromacompactor.hnsw.PanamaKernels"),
        "PanamaKernels was loaded:\n" + out);
    assertFalse(out.contains("jdk.incubator.vector"), out);
  }

  @Test
  void aJvmWithTheModulePicksPanamaKernels() throws Exception {
    String out = runProbe(List.of("--add-modules", "jdk.incubator.vector"), 0);
    assertTrue(out.contains("kernels=PanamaKernels"), out);
  }

  @Test
  void forcingPanamaWithoutTheModuleSaysWhy() throws Exception {
    String out = runProbe(List.of("-D" + FloatKernels.PROPERTY + "=panama"), 1);
    assertTrue(out.contains("-Dchromacompactor.hnsw.kernels=panama cannot be loaded"), out);
  }
}
