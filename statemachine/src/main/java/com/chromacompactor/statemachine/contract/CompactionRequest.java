package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The execution input. Every field is optional: {@code {}} compacts every pending delta under
 * {@link StorageLayout#DELTAS_PREFIX} of the unnamed lineage.
 *
 * @param prefix where to list pending deltas, relative to the lineage's root; must be under {@code
 *     deltas/} (the workers may read nothing else); null means {@link StorageLayout#DELTAS_PREFIX}
 * @param deltaKeys an explicit list of delta directory prefixes (relative to the lineage's root) to
 *     compact instead of listing; null means list
 * @param lineage the snapshot line whose keys are rooted under {@code <lineage>/}; null (absent) is
 *     {@link Lineage#NONE}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record CompactionRequest(String prefix, List<String> deltaKeys, Lineage lineage) {
  public CompactionRequest {
    deltaKeys = deltaKeys == null ? null : List.copyOf(deltaKeys);
  }

  /** A request of the unnamed lineage. */
  public CompactionRequest(String prefix, List<String> deltaKeys) {
    this(prefix, deltaKeys, null);
  }

  /** {@link #lineage()}, with absent meaning {@link Lineage#NONE}. */
  public Lineage lineageOrNone() {
    return lineage == null ? Lineage.NONE : lineage;
  }
}
