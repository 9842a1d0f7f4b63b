package com.chromacompactor.statemachine.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The error object a Catch writes at its ResultPath, as Step Functions spells it ({@code Error},
 * {@code Cause}).
 *
 * @param error an error name, e.g. one of {@link ErrorNames}
 * @param cause free text; may be absent (Step Functions omits it for some timeouts)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record TaskError(@JsonProperty("Error") String error, @JsonProperty("Cause") String cause) {}
