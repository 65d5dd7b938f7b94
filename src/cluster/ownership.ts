/**
 * Taking a user+platform for this node before its core logs in, and letting go of it.
 *
 * A session claims its user before the core logs in. If another live node holds the user, that
 * node is asked to hand it over (its core logged out the socket-close way, its sockets told to
 * reconnect, its entry released) and the claim waits, looking at the directory again until the
 * entry is free or the wait is over. Only then does this node's core log in — after checking,
 * right before, that the entry is still its own (`confirm`).
 *
 * Sessions see only the two interfaces below; without `--redis` they get none and behave as on
 * a single node.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { protocolError } from '../protocol/error-codes.ts';
import { GatewayError } from '../sessions/gateway-error.ts';
import type { ClusterBus } from './bus.ts';
import { CLUSTER_LIMITS } from './cluster-limits.ts';
import type { ClusterMetrics } from './cluster-metrics.ts';
import { ownerField, type SessionDirectory } from './directory.ts';
import { errorText } from '../shared/error-text.ts';

/** This node's hold on one user+platform. */
export interface OwnershipClaim {
  readonly fence: number;
  /** Resolves while the hold is still this node's (checked in Redis); rejects with a GatewayError otherwise. */
  confirm(): Promise<void>;
  /** Lets go (if still held). Never rejects; a second call does nothing. */
  release(): Promise<void>;
}

export interface SessionOwnership {
  /** Resolves once this node holds userID/platformID; rejects with a GatewayError (20008, 20009, 20003). */
  claim(userID: string, platformID: number, operationID: string): Promise<OwnershipClaim>;
}

export function clusterUnavailable(why: string): GatewayError {
  return GatewayError.from(protocolError('ClusterUnavailable', `this server cannot log anyone in right now: ${why}; reconnect and retry`));
}

export function sessionMoved(why: string): GatewayError {
  return GatewayError.from(protocolError('SessionMoved', `${why}; reconnect and retry`));
}

export interface ClaimsDeps {
  directory: SessionDirectory;
  bus: ClusterBus;
  logger: Logger;
  metrics: ClusterMetrics;
}

class Claim implements OwnershipClaim {
  #released = false;

  constructor(
    readonly userID: string,
    readonly platformID: number,
    readonly fence: number,
    readonly incarnation: string,
    private readonly deps: ClaimsDeps,
  ) {}

  async confirm(): Promise<void> {
    const { directory } = this.deps;
    let ours: boolean;
    try {
      ours = await directory.verify(this.userID, this.platformID, this.fence, this.incarnation);
    } catch (err) {
      throw clusterUnavailable(`the session directory cannot be reached (${errorText(err)})`);
    }
    if (ours) return;
    if (!directory.leased || directory.incarnation !== this.incarnation) throw clusterUnavailable('this node lost its cluster lease');
    throw sessionMoved('another node has taken this user over');
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      await this.deps.directory.release(this.userID, this.platformID, this.fence, this.incarnation);
    } catch (err) {
      // The entry names this run's lease: it stops counting when the lease goes, and the sweep removes it.
      this.deps.logger.warn({ userID: this.userID, platformID: this.platformID, err: errorText(err) }, 'could not release a session in the directory');
    }
  }
}

export class Claims implements SessionOwnership {
  readonly #deps: ClaimsDeps;
  #waiting = 0;
  /** Claims waiting for a `released` message, by owner field. */
  readonly #wakers = new Map<string, Set<() => void>>();

  constructor(deps: ClaimsDeps) {
    this.#deps = deps;
    deps.bus.on('released', (m) => this.#wake(ownerField(m.userID, m.platformID)));
  }

  /** Claims waiting for another node right now. */
  get waiting(): number {
    return this.#waiting;
  }

  async claim(userID: string, platformID: number, operationID: string): Promise<OwnershipClaim> {
    if (!this.#deps.directory.leased) throw clusterUnavailable('this node has no cluster lease (is Redis reachable?)');
    if (this.#waiting >= CLUSTER_LIMITS.claimsWaiting) {
      throw GatewayError.from(protocolError('ServerBusy', `more than ${CLUSTER_LIMITS.claimsWaiting} logins are waiting for other nodes; retry later`));
    }
    this.#waiting++;
    try {
      return await this.#claim(userID, platformID, operationID);
    } finally {
      this.#waiting--;
    }
  }

  async #claim(userID: string, platformID: number, operationID: string): Promise<OwnershipClaim> {
    const { directory, bus, logger, metrics } = this.#deps;
    const started = performance.now();
    const deadline = started + directory.timings.handoverWaitMs;
    const field = ownerField(userID, platformID);
    let asked: { nodeId: string; fence: number; at: number } | undefined;
    for (;;) {
      let result: Awaited<ReturnType<SessionDirectory['acquire']>>;
      try {
        result = await directory.acquire(userID, platformID);
      } catch (err) {
        throw clusterUnavailable(`the session directory cannot be reached (${errorText(err)})`);
      }
      if (result.kind === 'acquired') {
        if (asked !== undefined) {
          const seconds = (performance.now() - started) / 1000;
          metrics.handovers.inc({ side: 'taking', outcome: 'ok' });
          metrics.handoverSeconds.observe(seconds);
          logger.info({ userID, platformID, operationID, from: asked.nodeId, ms: Math.round(seconds * 1000) }, 'session taken over from another node');
        }
        return new Claim(userID, platformID, result.fence, result.incarnation, this.#deps);
      }
      if (result.kind === 'unleased') throw clusterUnavailable('this node lost its cluster lease');
      const now = performance.now();
      if (now >= deadline) {
        metrics.handovers.inc({ side: 'taking', outcome: 'timeout' });
        logger.warn({ userID, platformID, operationID, owner: result.nodeId }, 'the node holding this session did not let go in time');
        throw sessionMoved(`node ${result.nodeId} still holds this user after ${Math.round(now - started)} ms`);
      }
      const sameAsk = asked !== undefined && asked.nodeId === result.nodeId && asked.fence === result.fence;
      if (!sameAsk || now - asked!.at >= CLUSTER_LIMITS.handoverResendMs) {
        if (!sameAsk) logger.info({ userID, platformID, operationID, owner: result.nodeId }, 'asking another node to hand this session over');
        asked = { nodeId: result.nodeId, fence: result.fence, at: now };
        void bus.send(result.nodeId, { t: 'handover', id: randomUUID(), userID, platformID, fence: result.fence });
      }
      await this.#released(field, Math.min(CLUSTER_LIMITS.claimPollMs, deadline - now));
    }
  }

  /** Resolves on a `released` message for this field, or after `ms`. */
  #released(field: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let wakers = this.#wakers.get(field);
      if (wakers === undefined) {
        wakers = new Set();
        this.#wakers.set(field, wakers);
      }
      const set = wakers;
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.#wakers.get(field) === set) this.#wakers.delete(field);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      set.add(done);
    });
  }

  #wake(field: string): void {
    for (const done of [...(this.#wakers.get(field) ?? [])]) done();
  }
}
