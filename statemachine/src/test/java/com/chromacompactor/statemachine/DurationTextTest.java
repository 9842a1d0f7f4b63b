package com.chromacompactor.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.statemachine.contract.DurationText;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Durations as settings write them: 0s, 30m, 24h, 7d. */
class DurationTextTest {
  @Test
  void readsAndWritesEachUnit() {
    assertEquals(Duration.ZERO, DurationText.parse("x", "0s"));
    assertEquals(Duration.ofMinutes(10), DurationText.parse("x", "10m"));
    assertEquals(Duration.ofHours(24), DurationText.parse("x", " 24h "));
    assertEquals(Duration.ofDays(7), DurationText.parse("x", "7d"));
    for (Duration d :
        List.of(
            Duration.ZERO,
            Duration.ofSeconds(90),
            Duration.ofMinutes(10),
            Duration.ofHours(36),
            Duration.ofDays(2))) {
      assertEquals(d, DurationText.parse("x", DurationText.format(d)), DurationText.format(d));
    }
    assertEquals("36h", DurationText.format(Duration.ofHours(36)));
  }

  @Test
  void refusesAnythingElseNamingTheSetting() {
    for (String bad : List.of("", "10", "ten minutes", "1.5h", "-1h", "10M", "1w")) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> DurationText.parse("--settle", bad), bad);
      assertTrue(
          e.getMessage().startsWith("--settle must be a whole number and a unit"), e.getMessage());
    }
  }
}
