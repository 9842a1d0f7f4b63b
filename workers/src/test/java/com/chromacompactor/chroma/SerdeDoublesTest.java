package com.chromacompactor.chroma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.chromacompactor.testing.ChromaPython;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SerdeDoublesTest {
  @Test
  void writesEveryDoubleAsChromaWritesItInItsOwnQueueRows(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("floats.json");
    ChromaPython.run("floats", out);
    JsonNode cases = new ObjectMapper().readTree(out.toFile());
    assertEquals(24, cases.size());
    for (JsonNode c : cases) {
      double value = Double.parseDouble(c.path("value").asText());
      assertEquals(c.path("chromaText").asText(), SerdeDoubles.format(value), "for " + value);
    }
  }

  @Test
  void everyFormattedDoubleReadsBackAsItself() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(20261126);
    int checked = 0;
    while (checked < 200_000) {
      double d = Double.longBitsToDouble(random.nextLong());
      if (!Double.isFinite(d)) {
        continue;
      }
      String text = SerdeDoubles.format(d);
      assertEquals(d, Double.parseDouble(text), text);
      checked++;
    }
    assertEquals(200_000, checked);
  }

  @Test
  void refusesValuesJsonCannotHold() {
    assertThrows(IllegalArgumentException.class, () -> SerdeDoubles.format(Double.NaN));
    assertThrows(
        IllegalArgumentException.class, () -> SerdeDoubles.format(Double.NEGATIVE_INFINITY));
  }
}
