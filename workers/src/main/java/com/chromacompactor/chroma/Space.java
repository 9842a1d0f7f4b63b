package com.chromacompactor.chroma;

import com.chromacompactor.chroma.hnsw.VectorForm;
import com.chromacompactor.hnsw.Metric;
import java.util.Locale;

/** The distance of a collection, with the names Chroma stores in its configuration. */
public enum Space {
  L2("l2"),
  COSINE("cosine"),
  IP("ip");

  private final String chromaName;

  Space(String chromaName) {
    this.chromaName = chromaName;
  }

  public String chromaName() {
    return chromaName;
  }

  /** hnswlib's metric for this space: cosine is inner product over normalised vectors. */
  public Metric metric() {
    return this == L2 ? Metric.L2 : Metric.INNER_PRODUCT;
  }

  /** How hnswlib stores this space's vectors. */
  public VectorForm vectorForm() {
    return this == COSINE ? VectorForm.NORMALIZED : VectorForm.AS_GIVEN;
  }

  /** Maps Chroma's stored name; an unknown name is an error rather than a silent default. */
  public static Space fromChromaName(String name) {
    // An explicit table, not valueOf(): the on-disk names are Chroma's, not our enum's.
    switch (name.toLowerCase(Locale.ROOT)) {
      case "l2":
        return L2;
      case "cosine":
        return COSINE;
      case "ip":
        return IP;
      default:
        throw new IllegalArgumentException(
            "unknown space '" + name + "' (expected l2, cosine or ip)");
    }
  }
}
