package com.chromacompactor.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Damage done on purpose to a SQLite file, for the tests of what refuses it. */
public final class SqliteDamage {
  private static final int PAGE = 4096; // the page size of every file chromadb and we write

  private SqliteDamage() {}

  /**
   * Makes the b-tree header of the file's last page invalid: the sysdb tables, near the start,
   * still read, while {@code PRAGMA quick_check} fails.
   */
  public static void breakLastPage(Path sqlite) throws IOException {
    try (FileChannel ch = FileChannel.open(sqlite, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {0x63}), ch.size() - PAGE);
    }
  }
}
