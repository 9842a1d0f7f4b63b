package com.chromacompactor.activity;

import com.chromacompactor.statemachine.contract.ErrorNames;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads a task's input into its contract record, and writes an output, with the contract's rules:
 * unknown fields are ignored; input that does not parse or that a record refuses is {@code
 * Contract.InvalidInput}.
 */
public final class TaskInput {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private TaskInput() {}

  /**
   * The input as {@code type}, or a {@code Contract.InvalidInput} failure naming the type and the
   * problem.
   */
  public static <T> T read(String json, Class<T> type) throws TaskFailure {
    if (json == null || json.isBlank()) {
      throw new TaskFailure(
          ErrorNames.INVALID_INPUT, "empty input, expected a " + type.getSimpleName());
    }
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new TaskFailure(
          ErrorNames.INVALID_INPUT,
          "input is not a valid " + type.getSimpleName() + ": " + reason(e),
          e);
    }
  }

  private static String reason(Exception e) {
    if (e instanceof JsonProcessingException j) {
      String where =
          j.getLocation() == null
              ? ""
              : " (line "
                  + j.getLocation().getLineNr()
                  + ", column "
                  + j.getLocation().getColumnNr()
                  + ")";
      return j.getOriginalMessage() + where;
    }
    return e.getMessage();
  }

  /** The output document for {@code value}. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "cannot write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }
}
