package com.chromacompactor.activity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * The worker's log of an unexpected failure keeps every frame and cause but no message of unbounded
 * length.
 */
class LoggedFailureTest {
  @Test
  void aHugeMessageIsClippedAndTheFramesAndCausesAreKept() {
    IOException cause = new IOException("disk full");
    IllegalStateException thrown = new IllegalStateException("x".repeat(40_000), cause);
    Throwable logged = LoggedFailure.of(thrown);
    StringWriter trace = new StringWriter();
    logged.printStackTrace(new PrintWriter(trace));
    String text = trace.toString();
    String first = text.lines().findFirst().orElseThrow();
    assertTrue(first.startsWith("java.lang.IllegalStateException: xxx"), first.substring(0, 40));
    assertTrue(first.endsWith("…[clipped]"), first.substring(first.length() - 20));
    assertTrue(
        first.length() < LoggedFailure.MAX_MESSAGE_LENGTH + 40, "first line: " + first.length());
    assertTrue(text.lines().allMatch(l -> l.length() < LoggedFailure.MAX_MESSAGE_LENGTH + 40));
    assertTrue(text.contains("Caused by: java.io.IOException: disk full"), text);
    assertArrayEquals(thrown.getStackTrace(), logged.getStackTrace());
    assertArrayEquals(cause.getStackTrace(), logged.getCause().getStackTrace());
  }

  @Test
  void aShortMessageAndNoMessageAreShownAsTheyAre() {
    assertEquals(
        "java.lang.IllegalStateException: boom",
        LoggedFailure.of(new IllegalStateException("boom")).toString());
    assertEquals(
        "java.lang.NullPointerException", LoggedFailure.of(new NullPointerException()).toString());
  }
}
