package com.chromacompactor.workflow;

import com.chromacompactor.chroma.CorruptDeltaException;
import com.chromacompactor.chroma.DeltaProblem;
import com.chromacompactor.merge.DeltaVersion;
import com.chromacompactor.statemachine.contract.DurationText;
import com.chromacompactor.storage.BlobStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Tells, from the bucket's listing of one delta folder (and its commit marker), whether Plan may
 * take the delta now.
 *
 * <ul>
 *   <li>A marked delta ({@value DeltaMarker#FILE} present) is complete when every file the marker
 *       lists is there with its size (a marker that lists none was written last, as the protocol
 *       asks). Its version is the marker's sequence. A marker that does not parse is refused
 *       ({@link DeltaProblem#BAD_MARKER}).
 *   <li>An unmarked delta is complete once its newest object is older than the settle window; its
 *       version is that object's upload time in milliseconds since the epoch (the producer gave no
 *       sequence).
 *   <li>An incomplete delta is waiting: not read, not quarantined, not consumed. Once its first
 *       object is older than the incomplete-upload limit, it is refused as {@link
 *       DeltaProblem#INCOMPLETE_UPLOAD} with what is missing.
 * </ul>
 */
final class DeltaIntake {
  /** What Plan does with one delta folder. */
  sealed interface Verdict permits Ready, Waiting, Refused {
    String key();
  }

  /**
   * Complete: Plan takes it.
   *
   * @param firstSeen when its first object arrived, from which the incomplete-upload limit counts
   * @param marker its commit marker, or empty for an unmarked delta
   */
  record Ready(String key, DeltaVersion version, Instant firstSeen, Optional<DeltaMarker> marker)
      implements Verdict {}

  /** Not complete yet, and why; it has waited since {@code firstSeen}. */
  record Waiting(String key, Instant firstSeen, String reason) implements Verdict {}

  /** Bad: quarantined with this refusal. */
  record Refused(String key, CorruptDeltaException refusal) implements Verdict {}

  private final BlobStore blobs;
  private final IntakeRules rules;
  private final Instant now;

  DeltaIntake(BlobStore blobs, IntakeRules rules, Instant now) {
    this.blobs = blobs;
    this.rules = rules;
    this.now = now;
  }

  /**
   * The verdict on the delta folder {@code key}, whose objects (at any depth) the bucket listed.
   */
  Verdict judge(String key, List<BlobStore.Listed> objects) throws IOException {
    if (objects.isEmpty()) {
      return new Refused(
          key, DeltaRefusal.of(key, DeltaProblem.NOT_CHROMA, "nothing under the key"));
    }
    Instant firstSeen =
        objects.stream()
            .map(BlobStore.Listed::lastModified)
            .min(Comparator.naturalOrder())
            .orElseThrow();
    Instant newest =
        objects.stream()
            .map(BlobStore.Listed::lastModified)
            .max(Comparator.naturalOrder())
            .orElseThrow();
    String markerKey = key + DeltaMarker.FILE;
    boolean marked = objects.stream().anyMatch(o -> o.key().equals(markerKey));
    if (!marked) {
      if (!newest.plus(rules.settle()).isAfter(now)) {
        return new Ready(
            key, new DeltaVersion(newest.toEpochMilli(), key), firstSeen, Optional.empty());
      }
      return incomplete(
          key,
          firstSeen,
          "unmarked, and its newest object ("
              + newest
              + ") is younger than the settle"
              + " window of "
              + DurationText.format(rules.settle())
              + ": it may still be uploading");
    }
    Optional<BlobStore.Blob> body = blobs.get(markerKey);
    if (body.isEmpty()) {
      return new Waiting(
          key,
          firstSeen,
          DeltaMarker.FILE + " was listed but is gone: the producer is replacing it");
    }
    DeltaMarker marker;
    try {
      marker = DeltaMarker.parse(key, body.get().body());
    } catch (CorruptDeltaException e) {
      return new Refused(key, e);
    }
    List<String> problems = differences(key, marker, objects);
    if (!problems.isEmpty()) {
      return incomplete(
          key,
          firstSeen,
          "its marker lists files that are not all there yet: " + summary(problems));
    }
    return new Ready(key, new DeltaVersion(marker.sequence(), key), firstSeen, Optional.of(marker));
  }

  /** Waiting, or refused once it has waited longer than the limit. */
  Verdict incomplete(String key, Instant firstSeen, String reason) {
    Duration waited = Duration.between(firstSeen, now);
    if (waited.compareTo(rules.incompleteUploadLimit()) > 0) {
      return new Refused(
          key,
          DeltaRefusal.of(
              key,
              DeltaProblem.INCOMPLETE_UPLOAD,
              "still incomplete "
                  + DurationText.format(waited.withNanos(0))
                  + " after its first object arrived (limit "
                  + DurationText.format(rules.incompleteUploadLimit())
                  + "): "
                  + reason));
    }
    return new Waiting(key, firstSeen, reason);
  }

  /**
   * The files a marker lists that the listing does not show as written: missing, or of another
   * size.
   */
  static List<String> differences(String key, DeltaMarker marker, List<BlobStore.Listed> objects) {
    if (marker.files().isEmpty()) {
      return List.of();
    }
    Map<String, Long> sizes = new HashMap<>();
    objects.forEach(o -> sizes.put(o.key().substring(key.length()), o.size()));
    List<String> problems = new ArrayList<>();
    for (DeltaMarker.FileEntry f : marker.files().get()) {
      Long size = sizes.get(f.path());
      if (size == null) {
        problems.add("missing " + f.path());
      } else if (size != f.size()) {
        problems.add(f.path() + " is " + size + " bytes, the marker says " + f.size());
      }
    }
    return problems;
  }

  static String summary(List<String> problems) {
    return String.join("; ", problems.subList(0, Math.min(10, problems.size())))
        + (problems.size() > 10 ? "; and " + (problems.size() - 10) + " more" : "");
  }
}
