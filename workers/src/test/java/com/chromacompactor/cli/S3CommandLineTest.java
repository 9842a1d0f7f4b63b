package com.chromacompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.chromacompactor.aws.Resilience;
import com.chromacompactor.storage.FolderTransfer;
import com.chromacompactor.storage.S3BlobStore;
import com.chromacompactor.testing.ChromaDumps;
import com.chromacompactor.testing.CliBucket;
import com.chromacompactor.testing.Series;
import com.chromacompactor.testing.TempTrees;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The command line against S3 (LocalStack): {@code --bucket s3://name/prefix --endpoint-url ...
 * --path-style}, with the default credential chain (here LocalStack's keys as system properties,
 * which the chain reads).
 */
class S3CommandLineTest {
  private static final String ENDPOINT = CliBucket.ENDPOINT;
  private static CliBucket cliBucket;
  private static S3Client s3;
  private static String bucket;

  @BeforeAll
  static void setUp() {
    cliBucket = CliBucket.create("compactor-cli-");
    s3 = cliBucket.s3;
    bucket = cliBucket.name;
  }

  @AfterAll
  static void tearDown() {
    cliBucket.close();
  }

  @Test
  void pushRunAndQuarantineListWorkOnAnS3BucketPrefix() throws Exception {
    Series series = Series.get();
    String location = "s3://" + bucket + "/team-a";
    for (int i = 2;
        i >= 0;
        i--) { // pushed in reverse: the sequence, not the push order, is the write order
      CliRun push =
          CliRun.of(
              "push",
              "--bucket",
              location,
              "--endpoint-url",
              ENDPOINT,
              "--path-style",
              "--lineage",
              "words",
              "--sequence",
              Integer.toString(i),
              series.delta(i).toString());
      assertEquals(0, push.exit(), push.err());
      assertTrue(push.out().startsWith("committed words/deltas/"), push.out());
    }
    CliRun run =
        CliRun.of(
            "run",
            "--bucket",
            location,
            "--endpoint-url",
            ENDPOINT,
            "--path-style",
            "--lineage",
            "words");
    assertEquals(0, run.exit(), run.err());
    assertTrue(
        run.out().contains("published s3://" + bucket + "/team-a/words/snapshots/b-"), run.out());

    String latest =
        s3.getObjectAsBytes(b -> b.bucket(bucket).key("team-a/words/latest"))
            .asString(StandardCharsets.UTF_8);
    Path local = TempTrees.create("s3-latest-");
    FolderTransfer.download(
        new S3BlobStore(s3, bucket, Resilience.standard("s3")), "team-a/words/" + latest, local);
    ChromaDumps.assertSameRecordsAndNeighbours(
        Series.oracle(series.deltas(0, 1, 2)), ChromaDumps.dump(local));
    List<String> outside =
        s3.listObjectsV2(b -> b.bucket(bucket)).contents().stream()
            .map(o -> o.key())
            .filter(k -> !k.startsWith("team-a/words/"))
            .toList();
    assertEquals(List.of(), outside, "every key under the prefix and the lineage");

    CliRun list =
        CliRun.of(
            "quarantine",
            "list",
            "--bucket",
            location,
            "--endpoint-url",
            ENDPOINT,
            "--path-style",
            "--lineage",
            "words");
    assertEquals(0, list.exit(), list.err());
    assertTrue(
        list.out().startsWith("no quarantined deltas in " + location + " (lineage words)"),
        list.out());
    CliRun again =
        CliRun.of(
            "run",
            "--bucket",
            location,
            "--endpoint-url",
            ENDPOINT,
            "--path-style",
            "--lineage",
            "words");
    assertTrue(again.out().contains("nothing to compact"), again.out());
  }

  @Test
  void aBucketThatDoesNotExistIsAnErrorNamingIt() {
    CliRun run =
        CliRun.of(
            "run",
            "--bucket",
            "s3://no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8),
            "--endpoint-url",
            ENDPOINT,
            "--path-style");
    assertEquals(CompactorCli.EXIT_FAILED, run.exit());
    assertTrue(
        run.err().contains("NoSuchBucket") || run.err().contains("does not exist"), run.err());
  }
}
