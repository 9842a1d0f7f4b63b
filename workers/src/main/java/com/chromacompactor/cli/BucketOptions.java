package com.chromacompactor.cli;

import com.chromacompactor.aws.AwsClients;
import com.chromacompactor.aws.AwsSettings;
import com.chromacompactor.aws.Resilience;
import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.storage.BlobStore;
import com.chromacompactor.storage.LocalBlobStore;
import com.chromacompactor.storage.RootedBlobStore;
import com.chromacompactor.storage.S3BlobStore;
import com.chromacompactor.storage.S3Location;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * Where a command finds the bucket, the same on every command that works on one ({@code run},
 * {@code push}, {@code quarantine}, {@code gc} and {@code pull}): add it with {@code @Mixin
 * BucketOptions bucket} and call {@link #open()}.
 *
 * <pre>
 *   --bucket-dir DIR | --bucket s3://name[/prefix]     one of them; DIR must exist
 *   [--endpoint-url URL] [--path-style] [--region R]   S3 only: LocalStack, MinIO, ...
 *   [--lineage L]                                      the snapshot line, keys under L/
 * </pre>
 *
 * S3 takes the default AWS credential chain (environment, profile, role) even with {@code
 * --endpoint-url}.
 */
public final class BucketOptions {
  /** Exactly one place. */
  static final class Place {
    @Option(
        names = "--bucket-dir",
        paramLabel = "DIR",
        required = true,
        description = "A local folder laid out like the S3 bucket; it must exist.")
    Path directory;

    @Option(
        names = "--bucket",
        paramLabel = "s3://NAME[/PREFIX]",
        required = true,
        converter = S3LocationConverter.class,
        description =
            "An S3 bucket (and the folder of it that serves as the compactor's bucket), with the default AWS"
                + " credential chain.")
    S3Location s3;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Place place;

  @Option(
      names = "--endpoint-url",
      paramLabel = "URL",
      description =
          "With --bucket: an S3-compatible endpoint instead of AWS's (LocalStack, MinIO).")
  URI endpoint;

  @Option(
      names = "--path-style",
      description =
          "With --bucket: address the bucket in the path (endpoint/bucket/key), as LocalStack and MinIO need.")
  boolean pathStyle;

  @Option(
      names = "--region",
      description =
          "With --bucket: the AWS region (default: AWS_REGION, AWS_DEFAULT_REGION,"
              + " else us-east-1).")
  String region;

  @Option(
      names = "--lineage",
      paramLabel = "L",
      converter = LineageConverter.class,
      description =
          "The snapshot line: its deltas, plans, snapshots, quarantine and latest are under L/. Default:"
              + " the bucket's root.")
  Lineage lineage = Lineage.NONE;

  /**
   * The bucket (its root, or the prefix of {@code --bucket}); the lineage is {@link #lineage()}'s
   * to apply.
   */
  public BlobStore open() throws IOException {
    if (place.directory != null) {
      requireNoS3Options();
      return LocalBlobStore.existing(place.directory);
    }
    Map<String, String> env = System.getenv();
    String r =
        region != null
            ? region
            : env.getOrDefault("AWS_REGION", env.getOrDefault("AWS_DEFAULT_REGION", "us-east-1"));
    AwsSettings settings =
        AwsSettings.forCommandLine(
            r,
            endpoint,
            pathStyle
                ? AwsSettings.S3Addressing.PATH_STYLE
                : AwsSettings.S3Addressing.VIRTUAL_HOSTED);
    S3BlobStore s3 =
        new S3BlobStore(
            new AwsClients(settings).s3(),
            place.s3.bucket(),
            Resilience.standard("s3"),
            settings.s3Timeouts());
    return RootedBlobStore.under(s3, place.s3.prefix());
  }

  private void requireNoS3Options() {
    if (endpoint != null || pathStyle || region != null) {
      throw new IllegalArgumentException(
          "--endpoint-url, --path-style and --region go with --bucket, not --bucket-dir");
    }
  }

  public Lineage lineage() {
    return lineage;
  }

  /** A person's name for the place: the folder, or the s3:// location, and the lineage. */
  public String describe() {
    String where = place.directory != null ? place.directory.toString() : place.s3.toString();
    return lineage.isNone() ? where : where + " (lineage " + lineage.name() + ")";
  }

  static final class S3LocationConverter implements ITypeConverter<S3Location> {
    @Override
    public S3Location convert(String value) {
      return S3Location.parse(value);
    }
  }

  static final class LineageConverter implements ITypeConverter<Lineage> {
    @Override
    public Lineage convert(String value) {
      return Lineage.of(value);
    }
  }
}
