package com.chromacompactor.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code s3://name[/prefix]} and the rooted view of a bucket that a prefix or a lineage gives. */
class BucketLocationTest {
  @TempDir Path tmp;

  @Test
  void s3LocationsParseWithAndWithoutAPrefix() {
    assertEquals(new S3Location("my-bucket", ""), S3Location.parse("s3://my-bucket"));
    assertEquals(new S3Location("my-bucket", ""), S3Location.parse("s3://my-bucket/"));
    assertEquals(new S3Location("my-bucket", "team/a/"), S3Location.parse("s3://my-bucket/team/a"));
    assertEquals("s3://my-bucket/team/a", S3Location.parse("s3://my-bucket/team/a/").toString());
    for (String bad :
        List.of(
            "my-bucket",
            "https://x/y",
            "s3://My_Bucket",
            "s3://ab",
            "s3://b-1/../x",
            "s3://b-1//x")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> S3Location.parse(bad), bad);
      assertTrue(e.getMessage().contains("'"), e.getMessage());
    }
  }

  @Test
  void aRootedViewReadsAndWritesUnderItsRootOnly() throws Exception {
    LocalBlobStore bucket = new LocalBlobStore(tmp.resolve("bucket"));
    BlobStore words = RootedBlobStore.under(bucket, "words/");
    words.put("deltas/a/x.bin", "1".getBytes(StandardCharsets.UTF_8));
    bucket.put("deltas/b/y.bin", "2".getBytes(StandardCharsets.UTF_8));
    assertTrue(Files.isRegularFile(tmp.resolve("bucket/words/deltas/a/x.bin")));
    assertEquals(
        List.of("deltas/a/x.bin"), words.listKeys("deltas/"), "the root's own deltas are not seen");
    assertEquals(List.of("deltas/a/"), words.listFolders("deltas/"));
    assertEquals(bucket.describe() + "/words", words.describe());
    BlobStore nested = RootedBlobStore.under(RootedBlobStore.under(bucket, "team/"), "words/");
    nested.put("latest", "x".getBytes(StandardCharsets.UTF_8));
    assertTrue(Files.isRegularFile(tmp.resolve("bucket/team/words/latest")));
    assertEquals(bucket, RootedBlobStore.under(bucket, ""), "no root: the bucket itself");
    assertThrows(IllegalArgumentException.class, () -> RootedBlobStore.under(bucket, "../x/"));
    assertThrows(IllegalArgumentException.class, () -> RootedBlobStore.under(bucket, "words"));
  }

  @Test
  void anExistingBucketFolderIsRequiredWhereAskedAndNothingIsCreated() {
    Path missing = tmp.resolve("missing");
    var e = assertThrows(NoSuchFileException.class, () -> LocalBlobStore.existing(missing));
    assertTrue(e.getMessage().endsWith("no such bucket folder"), e.getMessage());
    assertTrue(Files.notExists(missing));
  }
}
