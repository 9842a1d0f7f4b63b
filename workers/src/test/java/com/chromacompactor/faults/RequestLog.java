package com.chromacompactor.faults;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@value #FILE}: one JSON line per {@link RecordedRequest}, appended by every worker process of a
 * run under a file lock, so that the lines are whole and in the order the calls ended.
 */
public final class RequestLog {
  public static final String FILE = "requests.jsonl";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A file lock guards against other processes; threads of this one take turns here first (the JVM
   * refuses two).
   */
  private static final Object IN_PROCESS = new Object();

  private RequestLog() {}

  public static void append(Path dir, RecordedRequest line) {
    synchronized (IN_PROCESS) {
      appendLocked(dir, line);
    }
  }

  private static void appendLocked(Path dir, RecordedRequest line) {
    byte[] bytes = (toJson(line) + "\n").getBytes(StandardCharsets.UTF_8);
    try (FileChannel channel =
            FileChannel.open(
                dir.resolve(FILE),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        FileLock lock = channel.lock()) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(false); // a SIGKILL right after must not take the line with it
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + dir.resolve(FILE), e);
    }
  }

  public static List<RecordedRequest> read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    List<RecordedRequest> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        out.add(JSON.readValue(line, RecordedRequest.class));
      }
    }
    return out;
  }

  private static String toJson(RecordedRequest line) {
    try {
      return JSON.writeValueAsString(line);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
