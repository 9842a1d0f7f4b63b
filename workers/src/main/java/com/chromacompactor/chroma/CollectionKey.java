package com.chromacompactor.chroma;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * How collections are matched across deltas: by name, within a tenant and database (almost always
 * {@code default_tenant}/{@code default_database}).
 */
public record CollectionKey(String tenant, String database, String name) {
  public static final String DEFAULT_TENANT = "default_tenant";
  public static final String DEFAULT_DATABASE = "default_database";

  public static CollectionKey named(String name) {
    return new CollectionKey(DEFAULT_TENANT, DEFAULT_DATABASE, name);
  }

  /**
   * A name-based UUID for a thing of {@code kind} (collection, segment, database) of this key:
   * writing the same collections twice gives the same ids.
   */
  public String derivedUuid(String kind) {
    String name = kind + "\n" + tenant + "\n" + database + "\n" + this.name;
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
  }

  @Override
  public String toString() {
    return DEFAULT_TENANT.equals(tenant) && DEFAULT_DATABASE.equals(database)
        ? name
        : tenant + "/" + database + "/" + name;
  }
}
