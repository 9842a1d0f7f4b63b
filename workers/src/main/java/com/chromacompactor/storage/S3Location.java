package com.chromacompactor.storage;

import java.util.regex.Pattern;

/**
 * {@code s3://name[/prefix]}: a bucket, and optionally the folder of it that the compactor treats
 * as its bucket.
 *
 * @param bucket the bucket's name (S3's rules: 3-63 lowercase letters, digits, '.' and '-')
 * @param prefix "" or a folder key ending in '/'
 */
public record S3Location(String bucket, String prefix) {
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

  public S3Location {
    if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
      throw new IllegalArgumentException(
          "'"
              + bucket
              + "' is not an S3 bucket name (3-63 lowercase letters, digits,"
              + " '.' and '-')");
    }
    if (!prefix.isEmpty()) {
      if (!prefix.endsWith("/")) {
        throw new IllegalArgumentException("prefix '" + prefix + "' must end with '/'");
      }
      StorageKeys.requireRelative(prefix.substring(0, prefix.length() - 1));
    }
  }

  /**
   * Parses {@code s3://name}, {@code s3://name/} or {@code s3://name/some/prefix[/]}.
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static S3Location parse(String text) {
    if (text == null || !text.startsWith("s3://")) {
      throw new IllegalArgumentException("'" + text + "' is not an s3://bucket[/prefix] location");
    }
    String rest = text.substring("s3://".length());
    int slash = rest.indexOf('/');
    if (slash < 0) {
      return new S3Location(rest, "");
    }
    String prefix = rest.substring(slash + 1);
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      prefix = prefix + "/";
    }
    return new S3Location(rest.substring(0, slash), prefix);
  }

  @Override
  public String toString() {
    return "s3://"
        + bucket
        + (prefix.isEmpty() ? "" : "/" + prefix.substring(0, prefix.length() - 1));
  }
}
