package com.chromacompactor.snapshot;

import com.chromacompactor.chroma.CollectionInfo;

/**
 * A collection a writer took over from the previous snapshot as it stands, with its live records.
 */
public record SeededCollection(CollectionInfo info, long records) {}
