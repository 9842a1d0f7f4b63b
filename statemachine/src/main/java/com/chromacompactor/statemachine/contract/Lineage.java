package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A snapshot line of the bucket: its own deltas, plans, claims, intermediates, snapshots,
 * quarantine and {@code latest}, every key rooted under {@code <name>/}. Lines never see each
 * other's keys. The unnamed line ({@link #NONE}) keeps the keys at the bucket's root, as {@link
 * StorageLayout} lists them.
 *
 * <p>In JSON a lineage is its name, and the unnamed line is {@code ""} (or an absent field in the
 * execution input). A name is 1-63 characters of letters, digits, {@code .}, {@code _} and {@code
 * -}, starting with a letter or digit, and is not one of the bucket's own top-level names ({@link
 * #RESERVED}), which would put one line's keys inside the unnamed line's.
 */
public record Lineage(String name) {
  /** The unnamed line: keys at the root of the bucket. */
  public static final Lineage NONE = new Lineage("");

  /** Top-level names of {@link StorageLayout}, which a lineage may not take. */
  public static final Set<String> RESERVED =
      Set.of("deltas", "intermediate", "snapshots", "plans", "quarantine", "latest");

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  public Lineage {
    if (name == null) {
      throw new IllegalArgumentException(
          "lineage name is null; use Lineage.NONE for the unnamed line");
    }
    if (!name.isEmpty()) {
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "lineage '"
                + name
                + "' must be 1-63 characters of letters, digits,"
                + " '.', '_' and '-', starting with a letter or digit");
      }
      if (RESERVED.contains(name)) {
        throw new IllegalArgumentException(
            "lineage '" + name + "' is a reserved name: " + RESERVED);
      }
    }
  }

  /** The lineage named {@code name}; null or empty is {@link #NONE}. */
  @JsonCreator
  public static Lineage of(String name) {
    return name == null || name.isEmpty() ? NONE : new Lineage(name);
  }

  @JsonValue
  @Override
  public String name() {
    return name;
  }

  public boolean isNone() {
    return name.isEmpty();
  }

  /** The prefix of every key of this line: {@code "<name>/"}, or {@code ""} for {@link #NONE}. */
  public String root() {
    return isNone() ? "" : name + "/";
  }

  /**
   * The plan's key in the bucket, as the Distributed Map's ItemReader reads it: {@code
   * <root>plans/<batch>/chunks.json}.
   */
  public String planKey(String batchId) {
    return root() + StorageLayout.planKey(batchId);
  }

  @Override
  public String toString() {
    return isNone() ? "(unnamed lineage)" : name;
  }
}
