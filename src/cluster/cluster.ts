/**
 * This node's membership of a cluster (`--redis`): its lease and the session directory, the
 * bus to the other nodes, hand-overs in both directions, and the cluster-wide admin queries.
 * The server creates one, hands `ownership` to its sessions and calls `start` once it listens.
 *
 * When Redis cannot be reached: new Logins are refused at once (20008, socket closed 1013,
 * the client reconnects), sessions already logged in go on while the lease is provably this
 * node's, and once it is not (no renewal got through within 70 % of `--lease-ttl`) every
 * session lets go of its user (core logged out, sockets closed 1013) and the node answers 503
 * to handshakes and /healthz until it holds a lease again. So two nodes never have the same
 * user+platform logged in, and a node cut off from Redis sends its clients to one that is not.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ClusterBus } from './bus.ts';
import { CLUSTER_LIMITS, leaseTimings, type LeaseTimings } from './cluster-limits.ts';
import { ClusterMetrics } from './cluster-metrics.ts';
import { SessionDirectory } from './directory.ts';
import type { LocalNode } from './local-node.ts';
import type { BusMessageOf, Outgoing, SessionRow } from './messages.ts';
import { Claims, clusterUnavailable, type OwnershipClaim, type SessionOwnership } from './ownership.ts';
import { connectRedis, describeRedisUrl, type RedisPair } from './redis-connection.ts';
import { errorText } from '../shared/error-text.ts';

export interface ClusterOptions {
  redisUrl: string;
  prefix: string;
  leaseTtlMs: number;
  logger: Logger;
  /** A barrier caught an unexpected error (already logged). */
  onInternalError(this: void): void;
}

/** What each node answered to a cluster-wide query. */
export interface NodeAnswer {
  nodeId: string;
  answered: boolean;
}

export interface ClusterSessions {
  sessions: Array<SessionRow & { nodeId: string }>;
  nodes: Array<NodeAnswer & { truncated: boolean }>;
}

export interface ClusterKick {
  kicked: number;
  nodes: Array<NodeAnswer & { kicked: number }>;
  /** Set when the other nodes could not be asked (the kick happened on this node only). */
  unreachable?: string;
}

/** A cluster-wide query could not be made (Redis unreachable, too many at once): the admin API answers 503. */
export class ClusterQueryError extends Error {
  override readonly name = 'ClusterQueryError';
}

interface Gather {
  readonly expected: ReadonlySet<string>;
  readonly answers: Map<string, unknown>;
  readonly done: () => void;
}

type Started = {
  readonly metrics: ClusterMetrics;
  readonly redis: RedisPair;
  readonly directory: SessionDirectory;
  readonly bus: ClusterBus;
  readonly claims: Claims;
  readonly local: LocalNode;
};

export class Cluster {
  readonly timings: LeaseTimings;
  readonly #options: ClusterOptions;
  #started: Started | undefined;
  #stopping = false;
  readonly #gathers = new Map<string, Gather>();
  /** Hand-over requests being served or queued, by field and fence (a repeat joins the first). */
  readonly #serving = new Map<string, Promise<void>>();
  #servingNow = 0;
  readonly #queue: Array<() => void> = [];

  constructor(options: ClusterOptions) {
    this.#options = options;
    this.timings = leaseTimings(options.leaseTtlMs);
  }

  /** Keys and channels of this cluster start with `{prefix}:`. */
  get prefix(): string {
    return this.#options.prefix;
  }

  get nodeId(): string | undefined {
    return this.#started?.directory.nodeId;
  }

  /** Whether this node may log users in (it holds its lease, by its own conservative clock). */
  get leased(): boolean {
    return this.#started?.directory.leased ?? false;
  }

  /** For the sessions: claims fail (20008) until `start` has taken the lease. */
  readonly ownership: SessionOwnership = {
    claim: (userID: string, platformID: number, operationID: string): Promise<OwnershipClaim> => {
      if (this.#started === undefined) return Promise.reject(clusterUnavailable('this node has not joined the cluster yet'));
      return this.#started.claims.claim(userID, platformID, operationID);
    },
  };

  /**
   * Connects to Redis, takes this node's lease and starts serving the other nodes; the cluster's
   * metrics go to `registry`. Throws when Redis cannot be reached.
   */
  async start(nodeId: string, local: LocalNode, registry: Registry): Promise<void> {
    const { logger, redisUrl } = this.#options;
    const redis = await connectRedis(redisUrl, logger, nodeId);
    try {
      const metrics = new ClusterMetrics(registry, {
        leased: () => this.leased,
        claimsWaiting: () => this.#started?.claims.waiting ?? 0,
      });
      const directory = new SessionDirectory({ redis: redis.commands, prefix: this.#options.prefix, nodeId, timings: this.timings, logger });
      const bus = new ClusterBus({
        publisher: redis.commands,
        listener: redis.listener,
        keys: directory.keys,
        nodeId,
        logger,
        onDropped: (reason) => metrics.messagesDropped.inc({ reason }),
        onInternalError: this.#options.onInternalError,
      });
      const claims = new Claims({ directory, bus, logger, metrics });
      const started: Started = { metrics, redis, directory, bus, claims, local };
      this.#listen(started);
      await bus.start();
      await directory.register();
      this.#started = started;
      logger.info({ nodeId, redis: describeRedisUrl(redisUrl), prefix: this.#options.prefix, leaseMs: this.timings.ttlMs }, 'joined the cluster');
    } catch (err) {
      await redis.close();
      throw err;
    }
  }

  #listen(s: Started): void {
    const { bus, directory, local, metrics } = s;
    const log = this.#options.logger;
    directory.on('lost', (reason) => {
      metrics.leaseLosses.inc();
      local.handOverAll(`cluster lease lost: ${reason}`).catch((err: unknown) => this.#internalError(err, 'while giving sessions back'));
    });
    bus.on('handover', (m) => this.#serveHandover(s, m));
    bus.on('forget', (m) => local.forgetTokens(m.userID, m.platformID));
    bus.on('kick', (m) => {
      local.kick(m.userID, m.platformID).then(
        (count) => {
          log.info({ userID: m.userID, platformID: m.platformID, from: m.from, sessions: count }, 'admin kick from another node');
          void bus.send(m.from, { t: 'kicked', id: m.id, count });
        },
        (err: unknown) => this.#internalError(err, 'while kicking for another node'),
      );
    });
    bus.on('list', (m) => {
      const rows = local.sessions();
      const sessions = rows.slice(0, CLUSTER_LIMITS.sessionsPerAnswer);
      void bus.send(m.from, { t: 'listed', id: m.id, sessions, truncated: sessions.length < rows.length });
    });
    bus.on('kicked', (m) => this.#answer(m));
    bus.on('listed', (m) => this.#answer(m));
  }

  /**
   * Another node wants a user this node holds (or held). Served a bounded number at a time;
   * a repeat of a request being served joins it; past the queue's bound a request is dropped
   * (the asking node asks again, or its Login times out).
   */
  #serveHandover(s: Started, m: BusMessageOf<'handover'>): void {
    const key = `${m.platformID}:${m.userID}#${m.fence}`;
    const reply = (): void => void s.bus.send(m.from, { t: 'released', id: m.id, userID: m.userID, platformID: m.platformID });
    const running = this.#serving.get(key);
    if (running !== undefined) {
      void running.then(reply);
      return;
    }
    if (this.#queue.length >= CLUSTER_LIMITS.handoverQueue) {
      s.metrics.handovers.inc({ side: 'giving', outcome: 'dropped' });
      return;
    }
    const work = new Promise<void>((resolve) => this.#queue.push(resolve))
      .then(() => this.#handOver(s, m))
      .catch((err: unknown) => this.#internalError(err, 'while handing a session over'))
      .finally(() => {
        this.#serving.delete(key);
        this.#servingNow--;
        this.#next();
      });
    this.#serving.set(key, work);
    void work.then(reply);
    this.#next();
  }

  #next(): void {
    while (this.#servingNow < CLUSTER_LIMITS.handoversServedAtOnce && this.#queue.length > 0) {
      this.#servingNow++;
      this.#queue.shift()!();
    }
  }

  async #handOver(s: Started, m: BusMessageOf<'handover'>): Promise<void> {
    const { directory, local } = s;
    if (local.fenceOf(m.userID, m.platformID) === m.fence) {
      // The session's own release frees the entry once its core is logged out.
      await local.handOver(m.userID, m.platformID, m.from);
      s.metrics.handovers.inc({ side: 'giving', outcome: 'ok' });
      this.#options.logger.info({ userID: m.userID, platformID: m.platformID, to: m.from }, 'session handed over to another node');
      return;
    }
    // No session here holds it under that fence: free an entry left behind (only if it is exactly that one).
    const incarnation = directory.incarnation;
    if (incarnation !== undefined) await directory.release(m.userID, m.platformID, m.fence, incarnation).catch(() => false);
  }

  /** Ids of the nodes whose lease is alive, this one included. */
  async liveNodes(): Promise<string[]> {
    try {
      return await this.#require().directory.liveNodes();
    } catch (err) {
      throw new ClusterQueryError(`the session directory cannot be reached (${errorText(err)})`);
    }
  }

  /** Tells every other node to stop taking this user's tokens on trust (Logout, kick, kicked/expired). */
  forgetTokens(userID: string, platformID: number | undefined): void {
    const bus = this.#started?.bus;
    if (bus !== undefined) void bus.broadcast(platformID === undefined ? { t: 'forget', userID } : { t: 'forget', userID, platformID });
  }

  /** Every node's sessions (nodes that did not answer in time are listed as such). */
  async listSessions(): Promise<ClusterSessions> {
    const s = this.#require();
    const answers = await this.#gather(s, (id) => ({ t: 'list', id }));
    const sessions: ClusterSessions['sessions'] = s.local.sessions().map((row) => ({ ...row, nodeId: s.directory.nodeId }));
    const nodes: ClusterSessions['nodes'] = [{ nodeId: s.directory.nodeId, answered: true, truncated: false }];
    for (const [nodeId, answer] of answers) {
      const listed = answer as BusMessageOf<'listed'> | undefined;
      nodes.push({ nodeId, answered: listed !== undefined, truncated: listed?.truncated ?? false });
      for (const row of listed?.sessions ?? []) sessions.push({ ...row, nodeId });
    }
    return { sessions, nodes };
  }

  /** Ends the user's sessions on every node (this one included); tokens forgotten everywhere first. */
  async kick(userID: string, platformID: number | undefined): Promise<ClusterKick> {
    const s = this.#require();
    // Settled at once: the local kick below goes ahead whatever becomes of the remote one.
    const remote = this.#gather(s, (id) => (platformID === undefined ? { t: 'kick', id, userID } : { t: 'kick', id, userID, platformID })).then(
      (answers) => answers,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    const here = await s.local.kick(userID, platformID);
    const nodes: ClusterKick['nodes'] = [{ nodeId: s.directory.nodeId, answered: true, kicked: here }];
    let kicked = here;
    const answers = await remote;
    if (answers instanceof Error) return { kicked, nodes, unreachable: answers.message };
    for (const [nodeId, answer] of answers) {
      const count = (answer as BusMessageOf<'kicked'> | undefined)?.count ?? 0;
      kicked += count;
      nodes.push({ nodeId, answered: answer !== undefined, kicked: count });
    }
    return { kicked, nodes };
  }

  /**
   * Asks every other live node and waits for their answers (bounded in time and in queries at
   * once). The map has one entry per node asked: its answer, or undefined if none came in time.
   */
  async #gather(s: Started, request: (id: string) => Outgoing): Promise<Map<string, unknown>> {
    if (this.#gathers.size >= CLUSTER_LIMITS.gathersAtOnce) throw new ClusterQueryError(`more than ${CLUSTER_LIMITS.gathersAtOnce} cluster queries at once`);
    let live: string[];
    try {
      live = await s.directory.liveNodes();
    } catch (err) {
      throw new ClusterQueryError(`the session directory cannot be reached (${errorText(err)})`);
    }
    const others = live.filter((n) => n !== s.directory.nodeId);
    const result = new Map<string, unknown>(others.map((n) => [n, undefined]));
    if (others.length === 0) return result;
    const id = randomUUID();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, CLUSTER_LIMITS.gatherTimeoutMs);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      const gather: Gather = { expected: new Set(others), answers: new Map(), done: finish };
      this.#gathers.set(id, gather);
      void s.bus.broadcast(request(id)).then((sent) => {
        if (!sent) finish();
      });
    });
    const gather = this.#gathers.get(id);
    this.#gathers.delete(id);
    for (const [nodeId, answer] of gather?.answers ?? []) result.set(nodeId, answer);
    return result;
  }

  #answer(m: BusMessageOf<'kicked'> | BusMessageOf<'listed'>): void {
    const gather = this.#gathers.get(m.id);
    // Answers to nothing we asked, or from nodes we did not ask, are ignored.
    if (gather === undefined || !gather.expected.has(m.from) || gather.answers.has(m.from)) return;
    gather.answers.set(m.from, m);
    if (gather.answers.size === gather.expected.size) gather.done();
  }

  #require(): Started {
    if (this.#started === undefined) throw new ClusterQueryError('this node has not joined the cluster');
    return this.#started;
  }

  #internalError(err: unknown, what: string): void {
    this.#options.onInternalError();
    this.#options.logger.error({ err: errorText(err) }, `internal error in the cluster layer ${what}`);
  }

  /** Graceful stop, after the sessions have let go: the lease goes now instead of expiring. */
  async stop(): Promise<void> {
    const s = this.#started;
    if (s === undefined || this.#stopping) return;
    this.#stopping = true;
    await s.directory.stop();
    s.bus.stop();
    await s.redis.close();
  }
}
