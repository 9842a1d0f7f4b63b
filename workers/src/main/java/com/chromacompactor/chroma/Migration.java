package com.chromacompactor.chroma;

/** One row of Chroma's {@code migrations} table: the script text must match byte for byte. */
public record Migration(String dir, int version, String filename, String sql, String md5) {}
