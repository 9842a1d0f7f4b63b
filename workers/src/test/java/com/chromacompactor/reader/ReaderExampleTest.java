package com.chromacompactor.reader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.testing.ChromaPython;
import com.chromacompactor.testing.Series;
import com.chromacompactor.workflow.DeltaPush;
import com.chromacompactor.workflow.LocalRun;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/reader.py} as a reader runs it beside {@code compactor pull}: chromadb opens the
 * pulled copy, keeps answering from it while a pull moves {@code current} on, and answers from the
 * new one once it reopens.
 */
class ReaderExampleTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void chromadbKeepsAnsweringFromThePreviousCopyWhileCurrentMovesAndReopensTheNewOne()
      throws Exception {
    Series series = Series.get();
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    publish(bucket, series, 0);
    Path dir = tmp.resolve("reader");
    SnapshotPull pull = new SnapshotPull(bucket, dir);
    String first = pull.pull().folder().getFileName().toString();
    Map<String, String> before = documents(Series.oracle(series.deltas(0)));

    Process reader =
        new ProcessBuilder(
                ChromaPython.interpreter().toString(),
                Path.of("../examples/reader.py").toAbsolutePath().normalize().toString(),
                "--dir",
                dir.toString(),
                "--commands")
            .redirectError(tmp.resolve("reader.log").toFile())
            .start();
    try (Writer in = new OutputStreamWriter(reader.getOutputStream(), StandardCharsets.UTF_8);
        BufferedReader out =
            new BufferedReader(
                new InputStreamReader(reader.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals(
          first, read(out, reader).path("batch").asText(), "opened the copy current names");
      assertEquals(before, records(ask(in, out, reader, "records series")));
      assertEquals(
          before.size(), ask(in, out, reader, "status").path("collections").path("series").asInt());

      publish(bucket, series, 1);
      SnapshotPull.Result moved = pull.pull();
      String second = moved.folder().getFileName().toString();
      assertNotEquals(first, second);
      assertEquals(first, moved.previous(), "the previous copy is kept for readers");
      assertTrue(Files.isDirectory(dir.resolve(first)));

      // current moved: the reader still has the previous copy open, and it answers as before
      JsonNode still = ask(in, out, reader, "records series");
      assertEquals(first, still.path("batch").asText());
      assertEquals(before, records(still));
      JsonNode query =
          ask(
              in,
              out,
              reader,
              "query series 3 " + "0.1,".repeat(15) + "0.1"); // 16-d, as the series
      assertEquals(3, query.path("ids").size(), query.toString());

      JsonNode refreshed = ask(in, out, reader, "refresh");
      assertTrue(refreshed.path("reopened").asBoolean(), refreshed.toString());
      assertEquals(second, refreshed.path("batch").asText());
      Map<String, String> after = documents(Series.oracle(series.deltas(0, 1)));
      assertNotEquals(before, after, "delta 1 changes what the reader sees");
      assertEquals(after, records(ask(in, out, reader, "records series")));
      JsonNode again = ask(in, out, reader, "refresh");
      assertEquals(false, again.path("reopened").asBoolean(), "current has not moved since");
      in.write("quit\n");
      in.flush();
      assertTrue(reader.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, reader.exitValue(), Files.readString(tmp.resolve("reader.log")));
    } finally {
      reader.destroyForcibly();
    }
  }

  private void publish(LocalBlobStore bucket, Series series, int i) throws Exception {
    DeltaPush.push(
        bucket, Lineage.NONE, series.delta(i), series.delta(i).getFileName().toString(), i, "test");
    new LocalRun(
            bucket,
            LocalRun.Settings.defaults(),
            Files.createTempDirectory(tmp, "run-"),
            new PrintStream(OutputStream.nullOutputStream()))
        .run("run-" + i);
  }

  private static JsonNode ask(Writer in, BufferedReader out, Process reader, String command)
      throws Exception {
    in.write(command + "\n");
    in.flush();
    return read(out, reader);
  }

  private static JsonNode read(BufferedReader out, Process reader) throws Exception {
    String line = out.readLine();
    if (line == null) {
      throw new AssertionError("reader.py ended (exit " + reader.waitFor() + ")");
    }
    return JSON.readTree(line);
  }

  private static Map<String, String> records(JsonNode answer) {
    Map<String, String> out = new TreeMap<>();
    answer
        .path("records")
        .fields()
        .forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  /** Each id's document in a chromadb dump (the oracle). */
  private static Map<String, String> documents(JsonNode dump) {
    Map<String, String> out = new TreeMap<>();
    Iterator<Map.Entry<String, JsonNode>> it =
        dump.path("collections").path("series").path("records").fields();
    it.forEachRemaining(e -> out.put(e.getKey(), e.getValue().path("document").asText()));
    return out;
  }
}
