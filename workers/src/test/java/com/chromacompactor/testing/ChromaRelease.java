package com.chromacompactor.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.chromacompactor.chroma.ChromaFormat;
import com.chromacompactor.chroma.ChromaTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The real chromadb releases the tests run, one per release family, each in its own venv
 * (scripts/setup-venv): the interpreter comes from the Maven system property {@code
 * chroma.python.<family>}, 1.5.9 from {@code chroma.python} as every other test.
 */
public enum ChromaRelease {
  V0_4_14("0.4-early", "0.4.14", ChromaFormat.V0_4_EARLY, null),
  V0_4_24("0.4", "0.4.24", ChromaFormat.V0_4, null),
  V0_5_5("0.5", "0.5.5", ChromaFormat.V0_5_EARLY, null),
  V0_6_3("0.6", "0.6.3", ChromaFormat.V0_6, ChromaTarget.V0_6),
  V1_0_21("1.0", "1.0.21", ChromaFormat.V1_0, ChromaTarget.V1_0),
  V1_3_7("1.3", "1.3.7", ChromaFormat.V1_3, ChromaTarget.V1_3),
  V1_5_9("1.5", "1.5.9", ChromaFormat.V1_5, ChromaTarget.V1_5);

  private final String family;
  private final String version;
  private final ChromaFormat format;
  private final ChromaTarget target;

  ChromaRelease(String family, String version, ChromaFormat format, ChromaTarget target) {
    this.family = family;
    this.version = version;
    this.format = format;
    this.target = target;
  }

  public String family() {
    return family;
  }

  /** As {@code chromadb.__version__} says it. */
  public String version() {
    return version;
  }

  /** The format its deltas are in. */
  public ChromaFormat format() {
    return format;
  }

  /** The target whose snapshots it opens, or null for a line we only read. */
  public ChromaTarget target() {
    return target;
  }

  /** The release that opens snapshots written for {@code target}. */
  public static ChromaRelease of(ChromaTarget target) {
    for (ChromaRelease r : values()) {
      if (r.target == target) {
        return r;
      }
    }
    throw new IllegalArgumentException("no release for target " + target);
  }

  public Path interpreter() {
    if (this == V1_5_9) {
      return ChromaPython.interpreter();
    }
    String configured = System.getProperty("chroma.python." + family);
    Path python =
        Paths.get(configured != null ? configured : "../.venv-chroma-" + family + "/bin/python");
    if (!Files.isExecutable(python)) {
      fail(
          "real chromadb "
              + version
              + " is needed: no Python at "
              + python
              + " (run scripts/setup-venv, which creates one venv per release family)");
    }
    return python;
  }
}
