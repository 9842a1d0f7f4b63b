package com.chromacompactor.chroma;

import java.util.StringJoiner;

/**
 * The Chroma release line a snapshot is written for ({@code --chroma-version}, {@code
 * COMPACTOR_CHROMA_VERSION}, the CDK context key {@code chromaVersion}): the readers' release
 * decides the format, since no Chroma opens a directory of a newer line correctly
 * (docs/chroma-format.md, "Which release opens what").
 */
public enum ChromaTarget {
  V0_6("0.6", ChromaFormat.V0_6, "0.5.6-0.6.3"),
  V1_0("1.0", ChromaFormat.V1_0, "1.0-1.2"),
  V1_3("1.3", ChromaFormat.V1_3, "1.3-1.4"),
  V1_5("1.5", ChromaFormat.V1_5, "1.5");

  public static final ChromaTarget DEFAULT = V1_5;

  private final String version;
  private final ChromaFormat format;
  private final String readers;

  ChromaTarget(String version, ChromaFormat format, String readers) {
    this.version = version;
    this.format = format;
    this.readers = readers;
  }

  /** As the option spells it, e.g. {@code 1.3}. */
  public String version() {
    return version;
  }

  public ChromaFormat format() {
    return format;
  }

  /** The releases that open this target's snapshots, e.g. {@code 1.3-1.4}. */
  public String readers() {
    return readers;
  }

  /**
   * The target named {@code version} ({@code 0.6}, {@code 1.0}, {@code 1.3} or {@code 1.5}); blank
   * is the default.
   *
   * @throws IllegalArgumentException naming the targets and who reads each
   */
  public static ChromaTarget parse(String version) {
    if (version == null || version.isBlank()) {
      return DEFAULT;
    }
    for (ChromaTarget t : values()) {
      if (t.version.equals(version.trim())) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "unknown Chroma version '" + version + "': expected " + choices());
  }

  /** Every target with the readers it serves, for messages and help. */
  public static String choices() {
    StringJoiner out = new StringJoiner(", ");
    for (ChromaTarget t : values()) {
      out.add(t.version + " (readers on chromadb " + t.readers + ")");
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return version;
  }
}
