package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.CliBucket;
import com.chromacompactor.testing.Series;
import com.chromacompactor.testing.TempTrees;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code gc} and {@code pull} against S3 (LocalStack) from the command line, with the bucket option
 * group every bucket command shares: a dry run that changes no object, a collection, and a reader's
 * pull of the lineage's latest.
 */
class RetentionCommandsOnS3Test {
  private static final String ENDPOINT = CliBucket.ENDPOINT;
  private static CliBucket cliBucket;
  private static S3Client s3;
  private static String bucket;

  @BeforeAll
  static void setUp() {
    cliBucket = CliBucket.create("compactor-gc-cli-");
    s3 = cliBucket.s3;
    bucket = cliBucket.name;
  }

  @AfterAll
  static void tearDown() {
    cliBucket.close();
  }

  @Test
  void gcDryRunChangesNoObjectGcDeletesAndPullGivesTheLatestToChromadb() throws Exception {
    Series series = Series.get();
    String location = "s3://" + bucket + "/team";
    for (int i = 0; i < 3; i++) {
      CliRun push =
          s3("push", location, "--sequence", Integer.toString(i), series.delta(i).toString());
      assertEquals(0, push.exit(), push.err());
      CliRun run = s3("run", location);
      assertEquals(0, run.exit(), run.err());
    }
    Map<String, Long> before = objects();
    CliRun dry =
        s3(
            "gc",
            location,
            "--keep-snapshots",
            "1",
            "--min-snapshot-age",
            "0s",
            "--delta-retention",
            "0s",
            "--dry-run");
    assertEquals(0, dry.exit(), dry.err());
    assertEquals(before, objects(), "the dry run changed no object");
    assertTrue(
        dry.out().contains("dry run: would delete 2 snapshots, 3 deltas, 3 plans, 0 leftovers: "),
        dry.out());
    assertTrue(dry.out().contains("would delete delta deltas/"), dry.out());

    CliRun gc =
        s3(
            "gc",
            location,
            "--keep-snapshots",
            "1",
            "--min-snapshot-age",
            "0s",
            "--delta-retention",
            "0s");
    assertEquals(0, gc.exit(), gc.err());
    assertTrue(
        gc.out().contains("deleted 2 snapshots, 3 deltas, 3 plans, 0 leftovers: "), gc.out());
    Map<String, Long> after = objects();
    assertEquals(
        1,
        after.keySet().stream().filter(k -> k.endsWith("/manifest.json")).count(),
        after.toString());
    assertTrue(
        after.keySet().stream().noneMatch(k -> k.startsWith("team/words/deltas/")),
        "every delta consumed");

    Path dir = TempTrees.create("s3-pull-");
    CliRun pull = s3("pull", location, "--to", dir.toString());
    assertEquals(0, pull.exit(), pull.err());
    String latest =
        s3.getObjectAsBytes(b -> b.bucket(bucket).key("team/words/latest"))
            .asString(StandardCharsets.UTF_8);
    assertTrue(pull.out().startsWith("pulled " + latest + " into "), pull.out());
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2)),
        ChromaDumps.dump(dir.resolve("current").toRealPath()));
    assertTrue(Files.isSymbolicLink(dir.resolve("current")));
  }

  /**
   * A bucket command on S3 (LocalStack), lineage {@code words}, the command's own arguments after.
   */
  private static CliRun s3(String command, String location, String... rest) {
    String[] args = new String[7 + rest.length];
    args[0] = command;
    args[1] = "--bucket";
    args[2] = location;
    args[3] = "--endpoint-url";
    args[4] = ENDPOINT;
    args[5] = "--path-style";
    args[6] = "--lineage=words";
    System.arraycopy(rest, 0, args, 7, rest.length);
    return CliRun.of(args);
  }

  private static Map<String, Long> objects() {
    Map<String, Long> out = new TreeMap<>();
    s3.listObjectsV2Paginator(b -> b.bucket(bucket))
        .contents()
        .forEach(o -> out.put(o.key(), o.size()));
    return out;
  }
}
