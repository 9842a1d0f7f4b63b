package com.chromacompactor.workflow;

import com.chromacompactor.merge.DeltaVersion;
import com.chromacompactor.storage.TransientStorageException;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code manifest.json}, written last into every intermediate and snapshot folder: what went in,
 * how many records came out per collection, and the size and SHA-256 of every file. Its presence
 * means the folder is complete; its checksums let a reader prove that nothing was lost in transfer.
 *
 * @param base the snapshot this one was merged on top of, for the conditional publish (snapshots
 *     only)
 * @param deltaKeys the deltas this output consumed: merged, so that no later plan takes them again
 *     (a deferred or quarantined delta of the batch is not among them)
 * @param highWater the highest delta version merged into this snapshot or its bases (snapshots
 *     only; null before versions, or when none): a delta at or below it is late
 * @param deferred deltas of the plan left out because they were not complete yet; they stay pending
 *     (null: none)
 * @param quarantined deltas of the plan refused while merging; they are quarantined (null: none)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record OutputManifest(
    String format,
    int version,
    String kind,
    String batchId,
    Base base,
    List<String> deltaKeys,
    Map<String, Long> records,
    Map<String, FileEntry> files,
    DeltaVersion highWater,
    List<String> deferred,
    List<String> quarantined) {

  public static final String FILE = "manifest.json";
  public static final String FORMAT = "chroma-compactor/manifest";
  public static final int VERSION = 1;

  /**
   * The published snapshot a merge started from: its prefix and the {@code latest} entity tag read.
   */
  public record Base(String prefix, String etag) {}

  public record FileEntry(long bytes, String sha256) {}

  /** Checksums every file of {@code folder} and writes the manifest into it. */
  public static OutputManifest write(
      Path folder,
      String kind,
      String batchId,
      Base base,
      List<String> deltaKeys,
      Map<String, Long> records)
      throws IOException {
    return write(folder, kind, batchId, base, deltaKeys, records, null, List.of(), List.of());
  }

  /**
   * As {@link #write(Path, String, String, Base, List, Map)}, with the versions and the deltas left
   * out.
   */
  public static OutputManifest write(
      Path folder,
      String kind,
      String batchId,
      Base base,
      List<String> deltaKeys,
      Map<String, Long> records,
      DeltaVersion highWater,
      List<String> deferred,
      List<String> quarantined)
      throws IOException {
    OutputManifest m =
        new OutputManifest(
            FORMAT,
            VERSION,
            kind,
            batchId,
            base,
            List.copyOf(deltaKeys),
            new TreeMap<>(records),
            checksums(folder),
            highWater,
            deferred.isEmpty() ? null : List.copyOf(deferred),
            quarantined.isEmpty() ? null : List.copyOf(quarantined));
    Files.write(folder.resolve(FILE), ContractJson.bytes(m));
    return m;
  }

  /** {@link #deferred()}, empty for none. */
  public List<String> deferredOrNone() {
    return deferred == null ? List.of() : deferred;
  }

  /** {@link #quarantined()}, empty for none. */
  public List<String> quarantinedOrNone() {
    return quarantined == null ? List.of() : quarantined;
  }

  public static OutputManifest parse(byte[] json) throws IOException {
    OutputManifest m = ContractJson.MAPPER.readValue(json, OutputManifest.class);
    if (!FORMAT.equals(m.format()) || m.version() != VERSION) {
      throw new IOException(
          "not a " + FORMAT + " v" + VERSION + " manifest: " + m.format() + " v" + m.version());
    }
    return m;
  }

  /**
   * Checks that {@code folder}, a downloaded compactor output that {@code name} (its key) names in
   * messages, has a manifest and holds exactly its files.
   *
   * @throws IOException naming the first differences when it does not
   */
  public static void check(String name, Path folder) throws IOException {
    Path file = folder.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(name + " has no " + FILE + ": it is not a complete compactor output");
    }
    List<String> problems = parse(Files.readAllBytes(file)).verify(folder);
    if (!problems.isEmpty()) {
      // The bytes that arrived are not those uploaded: the transfer may go right when it is made
      // again.
      throw new TransientStorageException(
          name
              + ": files differ from its manifest: "
              + problems.subList(0, Math.min(3, problems.size()))
              + (problems.size() > 3 ? " and more" : ""));
    }
  }

  /**
   * Checks that {@code folder} holds exactly the manifest's files with their sizes and checksums.
   *
   * @return the differences found, empty when the folder is intact
   */
  public List<String> verify(Path folder) throws IOException {
    Map<String, FileEntry> actual = checksums(folder);
    actual.remove(FILE);
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, FileEntry> e : files.entrySet()) {
      FileEntry found = actual.remove(e.getKey());
      if (found == null) {
        problems.add(e.getKey() + ": missing");
      } else if (!found.equals(e.getValue())) {
        problems.add(
            e.getKey()
                + ": expected "
                + e.getValue().bytes()
                + " bytes sha256 "
                + e.getValue().sha256()
                + ", found "
                + found.bytes()
                + " bytes sha256 "
                + found.sha256());
      }
    }
    actual.keySet().forEach(extra -> problems.add(extra + ": not in the manifest"));
    return problems;
  }

  public long totalRecords() {
    return records.values().stream().mapToLong(Long::longValue).sum();
  }

  private static Map<String, FileEntry> checksums(Path folder) throws IOException {
    Map<String, FileEntry> out = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(folder)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    for (Path f : files) {
      String relative = folder.relativize(f).toString().replace('\\', '/');
      if (!relative.equals(FILE)) {
        out.put(relative, new FileEntry(Files.size(f), sha256(f)));
      }
    }
    return out;
  }

  /** The lowercase hex SHA-256 of a file, as manifests and markers record it. */
  public static String sha256(Path file) throws IOException {
    try (InputStream in =
        new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
