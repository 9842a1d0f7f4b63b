package com.chromacompactor.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The commit marker's format: what it takes, and each way of breaking it, named. */
class DeltaMarkerTest {
  private static final String HASH =
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  private static final String HEAD = "{\"format\": \"chroma-compactor/delta\", \"version\": 1, ";

  @Test
  void aFullMarkerReadsBackAsItWasWritten() throws Exception {
    DeltaMarker written =
        new DeltaMarker(
            1765022400123L,
            Optional.of(
                List.of(
                    new DeltaMarker.FileEntry("chroma.sqlite3", 163840, HASH),
                    new DeltaMarker.FileEntry("0c1d/data_level0.bin", 0, HASH))),
            "ocr@host-7",
            Instant.parse("2026-12-06T12:00:00.123Z"));
    assertEquals(written, DeltaMarker.parse("deltas/a/", written.toJson()));
    DeltaMarker minimal =
        DeltaMarker.parse(
            "deltas/a/", (HEAD + "\"sequence\": 0}").getBytes(StandardCharsets.UTF_8));
    assertEquals(new DeltaMarker(0, Optional.empty(), null, null), minimal);
  }

  @Test
  void eachBrokenRuleIsABadMarkerNamingIt() {
    Map<String, String> cases =
        Map.ofEntries(
            Map.entry("not json", "Unrecognized token"),
            Map.entry("[1]", "the file is not a JSON object"),
            Map.entry(
                "{\"format\": \"other\", \"version\": 1, \"sequence\": 1}", "\"format\" must be"),
            Map.entry(
                "{\"format\": \"chroma-compactor/delta\", \"version\": 2, \"sequence\": 1}",
                "\"version\" must be 1"),
            Map.entry(HEAD + "\"sequence\": -3}", "\"sequence\" must be a non-negative integer"),
            Map.entry(HEAD + "\"sequence\": 1.5}", "\"sequence\" must be a non-negative integer"),
            Map.entry(HEAD + "\"sequence\": \"7\"}", "\"sequence\" must be a non-negative integer"),
            Map.entry(HEAD + "\"sequence\": 99999999999999999999}", "at most 2^63 - 1"),
            Map.entry(
                HEAD + "\"files\": []}", "\"format\", \"version\" and \"sequence\" are required"),
            Map.entry(
                "{\"sequence\": 1, \"format\": \"chroma-compactor/delta\", \"version\": 1}",
                "must come first"),
            Map.entry(HEAD + "\"sequence\": 1, \"seqeunce\": 2}", "unknown field \"seqeunce\""),
            Map.entry(HEAD + "\"sequence\": 1, \"files\": {}}", "\"files\" must be an array"),
            Map.entry(
                HEAD + "\"sequence\": 1, \"files\": [{\"path\": \"a\", \"size\": 1}]}",
                "needs \"path\", \"size\" and \"sha256\""),
            Map.entry(
                HEAD
                    + "\"sequence\": 1, \"files\": [{\"path\": \"../x\", \"size\": 1, \"sha256\": \""
                    + HASH
                    + "\"}]}",
                "'..' segment"),
            Map.entry(
                HEAD
                    + "\"sequence\": 1, \"files\": [{\"path\": \"a\", \"size\": 1, \"sha256\": \"ABC\"}]}",
                "64 lowercase hex digits"),
            Map.entry(
                HEAD
                    + "\"sequence\": 1, \"files\": [{\"path\": \"a\", \"size\": -1, \"sha256\": \""
                    + HASH
                    + "\"}]}",
                "\"size\" must be a non-negative integer"),
            Map.entry(
                HEAD
                    + "\"sequence\": 1, \"files\": [{\"path\": \"a\", \"size\": 1, \"sha256\": \""
                    + HASH
                    + "\"},"
                    + " {\"path\": \"a\", \"size\": 1, \"sha256\": \""
                    + HASH
                    + "\"}]}",
                "lists a twice"),
            Map.entry(
                HEAD
                    + "\"sequence\": 1, \"files\": [{\"path\": \"_delta.json\", \"size\": 1, \"sha256\": \""
                    + HASH
                    + "\"}]}",
                "must not list the marker itself"),
            Map.entry(
                HEAD + "\"sequence\": 1, \"createdAt\": \"yesterday\"}",
                "\"createdAt\" must be an ISO-8601 instant"),
            Map.entry(HEAD + "\"sequence\": 1} {}", "text after the object"));
    cases.forEach(
        (json, expected) -> {
          CorruptDeltaException e =
              assertThrows(
                  CorruptDeltaException.class,
                  () -> DeltaMarker.parse("deltas/x/", json.getBytes(StandardCharsets.UTF_8)),
                  json);
          assertEquals(DeltaProblem.BAD_MARKER, e.problem(), json);
          assertTrue(
              e.getMessage().startsWith("delta deltas/x/: BAD_MARKER: _delta.json: "),
              e.getMessage());
          assertTrue(e.detail().contains(expected), json + " gave " + e.detail());
        });
  }
}
