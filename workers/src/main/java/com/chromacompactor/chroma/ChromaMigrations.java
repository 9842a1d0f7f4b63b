package com.chromacompactor.chroma;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The 18 migration scripts of Chroma 1.x (release 1.5.9: sysdb 1–10, metadb 1–6, embeddings_queue
 * 1–2), in execution order. They are Chroma's version marker: Chroma compares every row's text and
 * MD5 with its own copy at start-up, so the texts live as resources and their hashes are checked here
 * when the class loads.
 */
public final class ChromaMigrations {
  private static final String[][] KNOWN = {
    {"sysdb", "1", "00001-collections.sqlite.sql", "38352d725ad1c16074fac420b22b4633"},
    {"sysdb", "2", "00002-segments.sqlite.sql", "2913cb6a503055a95f625448037e8912"},
    {"sysdb", "3", "00003-collection-dimension.sqlite.sql", "42d22d0574d31d419c2a0e7f625c93aa"},
    {"sysdb", "4", "00004-tenants-databases.sqlite.sql", "048867ce8fcdefe4023c7110e4433591"},
    {"sysdb", "5", "00005-remove-topic.sqlite.sql", "b1367c826b8fba5f96f27befdc1d42d2"},
    {"sysdb", "6", "00006-collection-segment-metadata.sqlite.sql", "4eea7468935bf25d4604a0fed2366116"},
    {"sysdb", "7", "00007-collection-config.sqlite.sql", "1c7e63bba346a42a18b6ab7f1c989bed"},
    {"sysdb", "8", "00008-maintenance-log.sqlite.sql", "0a0e7e93111a01789addf64961c6127c"},
    {"sysdb", "9", "00009-segment-collection-not-null.sqlite.sql", "054355aef9e63702bf54ea29e61563f1"},
    {"sysdb", "10", "00010-collection-schema.sqlite.sql", "5c3a5ac4b79df76799b4721827ed5e1d"},
    {"metadb", "1", "00001-embedding-metadata.sqlite.sql", "2b4cf52c4bb2676e21d6860a4409f856"},
    {"metadb", "2", "00002-embedding-metadata.sqlite.sql", "12a570f7121b3a8ce750a2a7c36da20f"},
    {"metadb", "3", "00003-full-text-tokenize.sqlite.sql", "f97ad6334aeaa8f419f01110b648b97a"},
    {"metadb", "4", "00004-metadata-indices.sqlite.sql", "fb36603a45ee2cd0254cef3ef86585e8"},
    {"metadb", "5", "00005-max-seq-id-int.sqlite.sql", "0e9de46758761b373ce682925edcc326"},
    {"metadb", "6", "00006-metadata-array-support.sqlite.sql", "e026f01ea92c1baa1493f4ad5ca7cfe7"},
    {"embeddings_queue", "1", "00001-embeddings.sqlite.sql", "d3755dfd232be8e8301f4d7fcfb3a486"},
    {"embeddings_queue", "2", "00002-embeddings-queue-config.sqlite.sql", "8fbfe4ffb3e57f1d8bfdc58510a82e85"},
  };

  private static final List<Migration> ALL = load();

  private ChromaMigrations() {}

  /** The migrations in the order Chroma applies them. */
  public static List<Migration> all() {
    return ALL;
  }

  /** Lowercase hex MD5 of the UTF-8 bytes, as Chroma computes the {@code hash} column. */
  public static String md5(String sql) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      return HexFormat.of().formatHex(md.digest(sql.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is required by every JVM", e);
    }
  }

  private static List<Migration> load() {
    List<Migration> out = new ArrayList<>(KNOWN.length);
    for (String[] k : KNOWN) {
      String resource = "migrations/" + k[0] + "/" + k[2];
      String sql;
      try (InputStream in = ChromaMigrations.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("missing resource " + resource);
        }
        sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      String actual = md5(sql);
      if (!actual.equals(k[3])) {
        throw new IllegalStateException(
            resource + ": md5 expected " + k[3] + ", found " + actual + " (the text was altered)");
      }
      out.add(new Migration(k[0], Integer.parseInt(k[1]), k[2], sql, k[3]));
    }
    return List.copyOf(out);
  }
}
