/**
 * Every bound and timing of the cluster layer in one table: what a peer node (or Redis itself)
 * can make this node hold, how long anything waits on another node, and the lease arithmetic.
 * Tests pin each number, so changing one here without meaning to fails a test.
 */

const MiB = 2 ** 20;

export const CLUSTER_LIMITS = {
  /** `--lease-ttl` default: milliseconds a node's lease lives without a renewal (a dead node's users are free after at most this). */
  leaseTtlMs: 5000,
  /** `--lease-ttl` range. Below a second a busy event loop would lose its lease; above a minute a dead node holds its users too long. */
  leaseTtlMinMs: 1000,
  leaseTtlMaxMs: 60_000,
  /** Renewals per lease lifetime: a renewal can fail this many times in a row minus one before the lease is in danger. */
  renewalsPerLease: 5,
  /**
   * Part of the lease kept in hand: a node that could not renew gives its users back this long
   * before Redis lets another node take them, so its cores are logged out before anyone else
   * logs them in (it measures from when it *sent* the renewal, which is never after Redis saw it).
   */
  selfFenceMarginFraction: 0.3,
  /** Longest a Login waits for another node to let go of its user (a dead owner's lease must run out within it). */
  handoverMinWaitMs: 10_000,
  /** How often a waiting Login looks at the directory again (messages are at-most-once). */
  claimPollMs: 250,
  /** How often a waiting Login asks the owner again, in case the request was lost. */
  handoverResendMs: 1000,
  /** Logins of this node waiting for other nodes at once; past it a Login is refused (server busy). */
  claimsWaiting: 1024,
  /** Hand-overs this node serves at once (each logs a core out); more wait their turn in a bounded queue. */
  handoversServedAtOnce: 64,
  /** Hand-over requests queued beyond those; past it a request is dropped (the asking node asks again). */
  handoverQueue: 10_000,
  /** Longest an admin query (list, kick) waits for the other nodes' answers. */
  gatherTimeoutMs: 3000,
  /** Admin queries out at once. */
  gathersAtOnce: 16,
  /** Bytes of one message on the bus, before it is parsed. */
  messageBytes: 2 * MiB,
  /** Sessions one node reports in a list answer (a bigger node says `truncated`). */
  sessionsPerAnswer: 10_000,
  /** Characters of a node id (`--node-id`): it is part of Redis keys and channel names. */
  nodeIdChars: 128,
  /** Characters of a request id on the bus. */
  requestIdChars: 64,
  /** Characters of `--redis-prefix`. */
  prefixChars: 64,
  /** Stale directory entries of dead nodes removed per sweep (each sweep is one short Redis script). */
  sweepBatch: 500,
  /** How often a node sweeps what dead nodes left in the directory. */
  sweepIntervalMs: 10_000,
  /** Redis commands time out after this (a hung Redis must not hold a Login forever). */
  commandTimeoutMs: 2000,
  /** First connection to Redis at start-up. */
  connectTimeoutMs: 5000,
  /** Longest wait at start-up for a lease held by an earlier process with the same node id. */
  registerWaitExtraMs: 2000,
} as const;

/** A node id: letters, digits and `._:-` (host:port, pod names), bounded. */
export const NODE_ID_PATTERN = new RegExp(`^[A-Za-z0-9._:-]{1,${CLUSTER_LIMITS.nodeIdChars}}$`);

/** A key prefix: the same characters as a node id. */
export const PREFIX_PATTERN = new RegExp(`^[A-Za-z0-9._:-]{1,${CLUSTER_LIMITS.prefixChars}}$`);

/** Lease arithmetic derived from `--lease-ttl`. */
export interface LeaseTimings {
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  /** After a renewal sent at t, the node counts itself leased until t + this. */
  readonly trustedForMs: number;
  /** Longest a Login waits for the previous owner. */
  readonly handoverWaitMs: number;
}

export function leaseTimings(ttlMs: number): LeaseTimings {
  return {
    ttlMs,
    renewEveryMs: Math.max(100, Math.floor(ttlMs / CLUSTER_LIMITS.renewalsPerLease)),
    trustedForMs: Math.floor(ttlMs * (1 - CLUSTER_LIMITS.selfFenceMarginFraction)),
    handoverWaitMs: Math.max(CLUSTER_LIMITS.handoverMinWaitMs, 2 * ttlMs),
  };
}
