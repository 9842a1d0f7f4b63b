package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The execution input. Both fields are optional: {@code {}} compacts every pending delta under
 * {@link StorageLayout#DELTAS_PREFIX}.
 *
 * @param prefix    where to list pending deltas; must be under {@code deltas/} (the workers may read nothing else);
 *                  null means {@link StorageLayout#DELTAS_PREFIX}
 * @param deltaKeys an explicit list of delta directory prefixes to compact instead of listing; null means list
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record CompactionRequest(String prefix, List<String> deltaKeys) {
    public CompactionRequest {
        deltaKeys = deltaKeys == null ? null : List.copyOf(deltaKeys);
    }
}
