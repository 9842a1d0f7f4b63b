package com.chromacompactor.workflow;

import com.chromacompactor.statemachine.contract.StorageLayout;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code plans/<batch>/claim.json}: the lease of the execution that runs a batch. Plan writes it
 * with a conditional write (only if absent, or only over the very claim it judged lost), so two
 * executions never both hold a batch. A holder loses it when its lease lapses ({@link #expiresAt}),
 * or, for a deployed execution, as soon as Step Functions says the execution ended ({@link
 * ClaimHolders}). A local run renews its lease while it runs ({@link ClaimLease}).
 *
 * @param executionName who holds it: the execution's name, {@code local-<pid>} for a local run
 * @param executionArn the deployed execution's ARN, which Plan asks Step Functions about; null for
 *     a local run
 * @param claimedAt when it was claimed
 * @param renewedAt when the holder last renewed it; null until then
 * @param expiresAt when it lapses unless renewed; null in claims written before leases, which lapse
 *     {@link #DEPLOYED_LEASE} after they were claimed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
record Claim(
    String executionName,
    String executionArn,
    Instant claimedAt,
    Instant renewedAt,
    Instant expiresAt) {
  /**
   * A deployed execution's lease: longer than its 24 h timeout, so only Step Functions' answer ends
   * it sooner.
   */
  static final Duration DEPLOYED_LEASE = Duration.ofHours(25);

  /**
   * A local run's lease unless configured: renewed every third of it, so two renewals may fail in a
   * row.
   */
  static final Duration DEFAULT_LOCAL_LEASE = Duration.ofMinutes(3);

  static final String FILE = "claim.json";

  /**
   * How this process claims: for how long a claim it writes holds unless renewed, and whom it asks
   * whether another claim's execution still runs.
   */
  record Terms(Duration lease, ClaimHolders holders) {
    Terms {
      if (lease.isNegative() || lease.isZero()) {
        throw new IllegalArgumentException("a claim's lease must be positive, got " + lease);
      }
    }

    /**
     * A deployed worker: leases as long as an execution may run, ended early by Step Functions'
     * answer.
     */
    static Terms deployed(ClaimHolders holders) {
      return new Terms(DEPLOYED_LEASE, holders);
    }

    /** A local run, which renews its claim while it runs ({@link ClaimLease}). */
    static Terms local(Duration lease) {
      return new Terms(lease, ClaimHolders.UNKNOWN);
    }
  }

  Claim {
    if (executionName == null || executionName.isBlank() || claimedAt == null) {
      throw new IllegalArgumentException("a claim names its execution and when it was claimed");
    }
  }

  /** A new claim by {@code executionName}, for {@code lease} from {@code now}. */
  static Claim of(String executionName, String executionArn, Instant now, Duration lease) {
    return new Claim(executionName, executionArn, now, null, now.plus(lease));
  }

  /** The claim file of a batch, relative to its lineage's root. */
  static String key(String batchId) {
    return StorageLayout.PLANS_PREFIX + batchId + "/" + FILE;
  }

  static Claim parse(byte[] body) throws IOException {
    return ContractJson.MAPPER.readValue(body, Claim.class);
  }

  byte[] bytes() throws IOException {
    return ContractJson.bytes(this);
  }

  /** When the lease lapses unless renewed. */
  Instant expiry() {
    return expiresAt != null ? expiresAt : claimedAt.plus(DEPLOYED_LEASE);
  }

  boolean expired(Instant now) {
    return expiry().isBefore(now);
  }

  /** The same claim, renewed at {@code now} for {@code lease}. */
  Claim renewed(Instant now, Duration lease) {
    return new Claim(executionName, executionArn, claimedAt, now, now.plus(lease));
  }

  /** "local-41 (claimed 2026-..., expires 2026-...)", for log lines and reports. */
  String describe() {
    return executionName
        + " (claimed "
        + claimedAt
        + (renewedAt == null ? "" : ", renewed " + renewedAt)
        + ", expires "
        + expiry()
        + ")";
  }
}
