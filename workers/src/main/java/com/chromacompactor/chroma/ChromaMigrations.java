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
 * Every migration script a Chroma release ever recorded, byte for byte: sysdb 1-10, metadb 1-6 and
 * embeddings_queue 1-2 (the texts of chromadb 0.4.1 to 1.5.9, unchanged since each was added), and
 * the one text that was changed after a release: metadb 1 as chromadb 0.4.0 shipped it (with the
 * trigram tokenizer, reverted in 0.4.1). They are Chroma's version marker: Chroma compares every
 * row's text and MD5 with its own copy at start-up. The texts live as resources and their hashes
 * are checked when the class loads.
 */
public final class ChromaMigrations {
  /** dir, version, file, md5, resource folder (below migrations/) */
  private static final String[][] KNOWN = {
    {"sysdb", "1", "00001-collections.sqlite.sql", "38352d725ad1c16074fac420b22b4633", "sysdb"},
    {"sysdb", "2", "00002-segments.sqlite.sql", "2913cb6a503055a95f625448037e8912", "sysdb"},
    {
      "sysdb",
      "3",
      "00003-collection-dimension.sqlite.sql",
      "42d22d0574d31d419c2a0e7f625c93aa",
      "sysdb"
    },
    {
      "sysdb",
      "4",
      "00004-tenants-databases.sqlite.sql",
      "048867ce8fcdefe4023c7110e4433591",
      "sysdb"
    },
    {"sysdb", "5", "00005-remove-topic.sqlite.sql", "b1367c826b8fba5f96f27befdc1d42d2", "sysdb"},
    {
      "sysdb",
      "6",
      "00006-collection-segment-metadata.sqlite.sql",
      "4eea7468935bf25d4604a0fed2366116",
      "sysdb"
    },
    {
      "sysdb",
      "7",
      "00007-collection-config.sqlite.sql",
      "1c7e63bba346a42a18b6ab7f1c989bed",
      "sysdb"
    },
    {"sysdb", "8", "00008-maintenance-log.sqlite.sql", "0a0e7e93111a01789addf64961c6127c", "sysdb"},
    {
      "sysdb",
      "9",
      "00009-segment-collection-not-null.sqlite.sql",
      "054355aef9e63702bf54ea29e61563f1",
      "sysdb"
    },
    {
      "sysdb",
      "10",
      "00010-collection-schema.sqlite.sql",
      "5c3a5ac4b79df76799b4721827ed5e1d",
      "sysdb"
    },
    {
      "metadb",
      "1",
      "00001-embedding-metadata.sqlite.sql",
      "2b4cf52c4bb2676e21d6860a4409f856",
      "metadb"
    },
    {
      "metadb",
      "2",
      "00002-embedding-metadata.sqlite.sql",
      "12a570f7121b3a8ce750a2a7c36da20f",
      "metadb"
    },
    {
      "metadb",
      "3",
      "00003-full-text-tokenize.sqlite.sql",
      "f97ad6334aeaa8f419f01110b648b97a",
      "metadb"
    },
    {
      "metadb",
      "4",
      "00004-metadata-indices.sqlite.sql",
      "fb36603a45ee2cd0254cef3ef86585e8",
      "metadb"
    },
    {
      "metadb", "5", "00005-max-seq-id-int.sqlite.sql", "0e9de46758761b373ce682925edcc326", "metadb"
    },
    {
      "metadb",
      "6",
      "00006-metadata-array-support.sqlite.sql",
      "e026f01ea92c1baa1493f4ad5ca7cfe7",
      "metadb"
    },
    {
      "embeddings_queue",
      "1",
      "00001-embeddings.sqlite.sql",
      "d3755dfd232be8e8301f4d7fcfb3a486",
      "embeddings_queue"
    },
    {
      "embeddings_queue",
      "2",
      "00002-embeddings-queue-config.sqlite.sql",
      "8fbfe4ffb3e57f1d8bfdc58510a82e85",
      "embeddings_queue"
    },
  };

  /** Texts that a release shipped and a later one changed: accepted where that release's set is. */
  private static final String[][] VARIANTS = {
    {
      "metadb",
      "1",
      "00001-embedding-metadata.sqlite.sql",
      "70f0dbf83da2f428f30d78b7d994cbbb",
      "variants/0.4.0/metadb"
    },
  };

  private static final List<Migration> CURRENT = load(KNOWN);
  private static final List<Migration> VARIANT = load(VARIANTS);

  private ChromaMigrations() {}

  /** The current text of every migration, in the order Chroma 1.x applies them. */
  public static List<Migration> all() {
    return CURRENT;
  }

  /** The current text of {@code dir} version {@code version}, or null if no release has it. */
  public static Migration current(String dir, int version) {
    for (Migration m : CURRENT) {
      if (m.dir().equals(dir) && m.version() == version) {
        return m;
      }
    }
    return null;
  }

  /**
   * Every text a release recorded for {@code dir} version {@code version}: the current one first.
   */
  public static List<Migration> texts(String dir, int version) {
    List<Migration> out = new ArrayList<>();
    for (List<Migration> list : List.of(CURRENT, VARIANT)) {
      for (Migration m : list) {
        if (m.dir().equals(dir) && m.version() == version) {
          out.add(m);
        }
      }
    }
    return out;
  }

  /** The highest version of {@code dir} any release has. */
  public static int newest(String dir) {
    int newest = 0;
    for (Migration m : CURRENT) {
      if (m.dir().equals(dir)) {
        newest = Math.max(newest, m.version());
      }
    }
    return newest;
  }

  /**
   * The migrations of {@code set}, folder by folder in {@code dirOrder}, each folder in version
   * order.
   */
  public static List<Migration> of(MigrationSet set, List<String> dirOrder) {
    List<Migration> out = new ArrayList<>();
    for (String dir : dirOrder) {
      for (int v = 1; v <= set.highest(dir); v++) {
        out.add(current(dir, v));
      }
    }
    return List.copyOf(out);
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

  private static List<Migration> load(String[][] table) {
    List<Migration> out = new ArrayList<>(table.length);
    for (String[] k : table) {
      String resource = "migrations/" + k[4] + "/" + k[2];
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
