package com.chromacompactor.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TombstonesTest {
  @TempDir Path delta;

  @Test
  void streamsIdsPerCollectionInFileOrder() throws Exception {
    write(
        "{\"format\":\"chroma-compactor/tombstones\",\"version\":1,"
            + "\"collections\":{\"words\":[\"a\",\"b\"],\"lines\":[\"c\"]}}");
    List<String> seen = new ArrayList<>();
    Tombstones.read(delta, (c, id) -> seen.add(c + "/" + id));
    assertEquals(List.of("words/a", "words/b", "lines/c"), seen);
  }

  @Test
  void noFileMeansNoTombstones() throws Exception {
    List<String> seen = new ArrayList<>();
    Tombstones.read(delta, (c, id) -> seen.add(id));
    assertTrue(seen.isEmpty());
  }

  @Test
  void refusesTextThatIsNotJson() throws Exception {
    write(
        "{\"format\": \"chroma-compactor/tombstones\", \"version\": 1, \"collections\": {\"words\": [\"a\",");
    assertRefused("tombstones.json");
  }

  @Test
  void refusesAnUnknownFormatOrVersion() throws Exception {
    write("{\"format\":\"something-else\",\"version\":1,\"collections\":{}}");
    assertRefused("\"format\" must be");
    write("{\"format\":\"chroma-compactor/tombstones\",\"version\":2,\"collections\":{}}");
    assertRefused("\"version\" must be 1");
  }

  @Test
  void refusesIdsThatAreNotStrings() throws Exception {
    write(
        "{\"format\":\"chroma-compactor/tombstones\",\"version\":1,\"collections\":{\"words\":[7]}}");
    assertRefused("must be non-empty strings");
  }

  private void write(String text) throws Exception {
    Files.writeString(delta.resolve(Tombstones.FILE), text);
  }

  private void assertRefused(String messagePart) {
    CorruptDeltaException e =
        assertThrows(CorruptDeltaException.class, () -> Tombstones.read(delta, (c, id) -> {}));
    assertEquals(DeltaProblem.BAD_TOMBSTONES, e.problem());
    assertTrue(e.getMessage().contains(delta.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
  }
}
