package com.chromacompactor.workflow;

import com.chromacompactor.activity.TaskFailure;
import com.chromacompactor.statemachine.contract.ErrorNames;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** Reads and writes the JSON that passes between states, and the small JSON files of a batch. */
final class ContractJson {
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS) // instants as ISO-8601 text
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .build();

  private ContractJson() {}

  /**
   * Parses a task input; a malformed one is the caller's fault, reported as Contract.InvalidInput.
   */
  static <T> T input(String json, Class<T> type) throws TaskFailure {
    try {
      T value = MAPPER.readValue(json, type);
      if (value == null) {
        throw new TaskFailure(ErrorNames.INVALID_INPUT, type.getSimpleName() + " input is null");
      }
      return value;
    } catch (JsonProcessingException e) {
      throw new TaskFailure(
          ErrorNames.INVALID_INPUT,
          "input is not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage(),
          e);
    }
  }

  static String output(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + value, e);
    }
  }

  static byte[] bytes(Object value) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + value, e);
    }
  }

  /** Requires a condition on an input, naming the field and the value found. */
  static void require(boolean ok, String what) throws TaskFailure {
    if (!ok) {
      throw new TaskFailure(ErrorNames.INVALID_INPUT, what);
    }
  }
}
