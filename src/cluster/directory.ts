/**
 * The session directory in Redis: which node holds each user+platform's core.
 *
 * Leases. A node holds one lease, `lease:<node>`, whose value names this run of the node (its
 * incarnation) and which expires unless renewed. Ownership entries, `owner:<platform>:<user>`,
 * name the node, its incarnation and a fence; an entry counts only while the lease it names
 * is alive. So when a node dies, one key expires and every user it held is free at once; no
 * per-user timers, and a renewal is one short script however many users the node holds.
 *
 * Fences. Each taking of an entry draws a new number from one counter. Releasing and checking
 * compare the whole entry, fence included, so an old holder can neither free nor keep
 * what a newer one took. Before a core logs in, its session checks that the entry is still
 * its own (`verify`): a node that lost the user meanwhile finds out before it acts.
 *
 * Self-fencing. The IM server cannot check our fences, so timing closes the last gap: a node
 * counts itself leased only until its last successful renewal's *send* time plus part of the
 * lease (never after Redis's own expiry, which started later). Past that without a renewal it
 * reports `lost` and gives every user back before any other node can take them.
 *
 * What dead nodes leave (entries naming an expired lease) is harmless, as taking an entry
 * ignores them, and any live node sweeps them away in bounded batches.
 *
 * Keys share one hash tag, `{prefix}`, so they live in one slot; Redis standalone or Sentinel.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CLUSTER_LIMITS, NODE_ID_PATTERN, type LeaseTimings } from './cluster-limits.ts';
import { errorText } from '../shared/error-text.ts';

/** The outcome of trying to take a user+platform. */
export type AcquireResult =
  /** `incarnation`: the run of this node the entry names (what releasing it later must name too). */
  | { readonly kind: 'acquired'; readonly fence: number; readonly incarnation: string }
  | { readonly kind: 'owned'; readonly nodeId: string; readonly fence: number }
  /** This node has no lease in Redis (expired, or Redis lost it). */
  | { readonly kind: 'unleased' };

/** `{prefix}:…` names of everything this cluster keeps in Redis. */
export class ClusterKeys {
  readonly base: string;

  constructor(prefix: string) {
    this.base = `{${prefix}}:`;
  }

  lease(nodeId: string): string {
    return `${this.base}lease:${nodeId}`;
  }

  get leasePrefix(): string {
    return `${this.base}lease:`;
  }

  get nodes(): string {
    return `${this.base}nodes`;
  }

  get fence(): string {
    return `${this.base}fence`;
  }

  owner(field: string): string {
    return `${this.base}owner:${field}`;
  }

  owned(nodeId: string, incarnation: string): string {
    return `${this.base}owned:${nodeId}:${incarnation}`;
  }

  /** Pub/sub: messages for one node, and for all. */
  nodeChannel(nodeId: string): string {
    return `${this.base}node:${nodeId}`;
  }

  get allChannel(): string {
    return `${this.base}all`;
  }
}

/** The part of an owner key after `owner:`, also the member of a node's `owned` set. */
export function ownerField(userID: string, platformID: number): string {
  return `${platformID}:${userID}`;
}

const NOW_MS = `local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)`;

/** Lua, each one atomic. Values never contain spaces except as separators (node ids and incarnations cannot). */
const SCRIPTS = {
  /** KEYS lease, nodes · ARGV node, incarnation, ttl → 1 registered, 0 the lease is held (an earlier run, or another node with this id). */
  jssdkRegister: {
    numberOfKeys: 2,
    lua: `
      if not redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3], 'NX') then return 0 end
      ${NOW_MS}
      redis.call('ZADD', KEYS[2], now, ARGV[1] .. ' ' .. ARGV[2])
      return 1`,
  },
  /** KEYS lease, nodes · ARGV node, incarnation, ttl → 1 renewed, 0 the lease is gone or not ours. */
  jssdkRenew: {
    numberOfKeys: 2,
    lua: `
      if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      ${NOW_MS}
      redis.call('ZADD', KEYS[2], now, ARGV[1] .. ' ' .. ARGV[2])
      return 1`,
  },
  /**
   * KEYS owner, my lease, my owned set, fence counter · ARGV node, incarnation, field, lease key prefix
   * → {'acquired', fence} | {'owned', node, fence} | {'unleased'}. An entry of our own (an
   * earlier session of this node) is taken afresh with a new fence, so that the earlier
   * session's release cannot free it.
   */
  jssdkAcquire: {
    numberOfKeys: 4,
    lua: `
      if redis.call('GET', KEYS[2]) ~= ARGV[2] then return {'unleased'} end
      local cur = redis.call('GET', KEYS[1])
      if cur then
        local n, i, f = string.match(cur, '^(%S+) (%S+) (%d+)$')
        if n and not (n == ARGV[1] and i == ARGV[2]) and redis.call('GET', ARGV[4] .. n) == i then
          return {'owned', n, f}
        end
      end
      local f = redis.call('INCR', KEYS[4])
      redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. f)
      redis.call('SADD', KEYS[3], ARGV[3])
      return {'acquired', tostring(f)}`,
  },
  /** KEYS owner, my lease · ARGV entry, incarnation → 1 the entry is ours and our lease alive. */
  jssdkVerify: {
    numberOfKeys: 2,
    lua: `
      if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
      if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
      return 1`,
  },
  /**
   * KEYS owner, my owned set · ARGV entry, field, "node incarnation " → 1 freed, 0 it was not
   * this entry. The field leaves our set unless a newer entry of ours still holds it.
   */
  jssdkRelease: {
    numberOfKeys: 2,
    lua: `
      local cur = redis.call('GET', KEYS[1])
      if cur == ARGV[1] then
        redis.call('DEL', KEYS[1])
        redis.call('SREM', KEYS[2], ARGV[2])
        return 1
      end
      if not cur or string.sub(cur, 1, #ARGV[3]) ~= ARGV[3] then redis.call('SREM', KEYS[2], ARGV[2]) end
      return 0`,
  },
  /**
   * KEYS nodes · ARGV key base, dead after (ms), batch → entries removed. Looks at one node
   * run not heard of for a while; if its lease is gone, removes up to a batch of the entries
   * that still name it, and forgets the run once none are left.
   */
  jssdkSweep: {
    numberOfKeys: 1,
    lua: `
      ${NOW_MS}
      local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, 1)
      local removed = 0
      for _, member in ipairs(dead) do
        local n, i = string.match(member, '^(%S+) (%S+)$')
        if not n then
          redis.call('ZREM', KEYS[1], member)
        elseif redis.call('GET', ARGV[1] .. 'lease:' .. n) == i then
          redis.call('ZADD', KEYS[1], now, member)
        else
          local owned = ARGV[1] .. 'owned:' .. n .. ':' .. i
          for _, field in ipairs(redis.call('SPOP', owned, tonumber(ARGV[3]))) do
            local key = ARGV[1] .. 'owner:' .. field
            local cur = redis.call('GET', key)
            if cur and string.sub(cur, 1, #member + 1) == member .. ' ' then
              redis.call('DEL', key)
              removed = removed + 1
            end
          end
          if redis.call('SCARD', owned) == 0 then redis.call('ZREM', KEYS[1], member) end
        end
      end
      return removed`,
  },
  /** KEYS nodes · ARGV lease key prefix → ids of nodes whose lease is alive. */
  jssdkLiveNodes: {
    numberOfKeys: 1,
    lua: `
      local live = {}
      for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
        local n, i = string.match(member, '^(%S+) (%S+)$')
        if n and redis.call('GET', ARGV[1] .. n) == i then table.insert(live, n) end
      end
      return live`,
  },
  /** KEYS lease, nodes, my owned set · ARGV node, incarnation → drops our lease (graceful stop). */
  jssdkDeregister: {
    numberOfKeys: 3,
    lua: `
      if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('DEL', KEYS[1]) end
      local member = ARGV[1] .. ' ' .. ARGV[2]
      if redis.call('SCARD', KEYS[3]) == 0 then redis.call('ZREM', KEYS[2], member)
      else redis.call('ZADD', KEYS[2], 0, member) end
      return 1`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type ScriptRunner = (...keysAndArgs: Array<string | number>) => Promise<unknown>;

export interface DirectoryOptions {
  redis: Redis;
  prefix: string;
  nodeId: string;
  timings: LeaseTimings;
  logger: Logger;
  /** Monotonic milliseconds; tests may replace it. */
  now?: () => number;
}

export interface DirectoryEvents {
  /** This node may no longer count on its users: give them all back now. */
  lost: [reason: string];
  /** A lease (again): this node may take users. */
  leased: [];
}

export class SessionDirectory extends EventEmitter<DirectoryEvents> {
  readonly nodeId: string;
  readonly keys: ClusterKeys;
  readonly timings: LeaseTimings;
  readonly #redis: Redis;
  readonly #log: Logger;
  readonly #now: () => number;
  #incarnation: string | undefined;
  /** Monotonic ms until which this node counts itself leased. */
  #trustedUntil = 0;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #fenceTimer: ReturnType<typeof setTimeout> | undefined;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  /** The renewal loop logs one line per outage. */
  #renewFailing = false;

  constructor(options: DirectoryOptions) {
    super();
    if (!NODE_ID_PATTERN.test(options.nodeId)) throw new RangeError(`invalid node id ${JSON.stringify(options.nodeId)}`);
    this.nodeId = options.nodeId;
    this.keys = new ClusterKeys(options.prefix);
    this.timings = options.timings;
    this.#redis = options.redis;
    this.#log = options.logger;
    this.#now = options.now ?? (() => performance.now());
    for (const [name, definition] of Object.entries(SCRIPTS)) this.#redis.defineCommand(name, definition);
  }

  /** This run's name in the directory (changes each time the lease is taken anew). */
  get incarnation(): string | undefined {
    return this.#incarnation;
  }

  /** Whether this node may act as the owner of what it holds, by its own clock. */
  get leased(): boolean {
    return this.#incarnation !== undefined && this.#now() < this.#trustedUntil;
  }

  #script(name: ScriptName): ScriptRunner {
    // defineCommand adds each script as a method of the client; ioredis types cannot know them.
    return (this.#redis as unknown as Record<ScriptName, ScriptRunner>)[name].bind(this.#redis);
  }

  /**
   * Takes this node's lease. A lease still held under this node id (an earlier run that died,
   * or a live node given the same id by mistake) is waited out up to `waitMs`; then it fails.
   */
  async register(waitMs = this.timings.ttlMs + CLUSTER_LIMITS.registerWaitExtraMs): Promise<void> {
    const deadline = this.#now() + waitMs;
    for (;;) {
      if (await this.#tryRegister()) return;
      if (this.#now() >= deadline) {
        throw new Error(`node id ${this.nodeId} is still held by another live node after ${waitMs} ms: give each node its own --node-id`);
      }
      await sleep(Math.min(200, this.timings.renewEveryMs));
    }
  }

  async #tryRegister(): Promise<boolean> {
    const incarnation = randomBytes(8).toString('hex');
    const sentAt = this.#now();
    const ok = await this.#script('jssdkRegister')(this.keys.lease(this.nodeId), this.keys.nodes, this.nodeId, incarnation, this.timings.ttlMs);
    if (ok !== 1 || this.#stopped) return false;
    this.#incarnation = incarnation;
    this.#trusted(sentAt);
    this.#scheduleRenewal();
    this.#sweepTimer ??= setInterval(() => void this.sweep().catch(() => {}), CLUSTER_LIMITS.sweepIntervalMs).unref();
    this.#log.info({ nodeId: this.nodeId, incarnation, leaseMs: this.timings.ttlMs }, 'cluster lease taken');
    this.emit('leased');
    return true;
  }

  #trusted(sentAt: number): void {
    this.#trustedUntil = sentAt + this.timings.trustedForMs;
    this.#armFence();
  }

  /**
   * Gives every user back once the trusted time has passed with no renewal getting through.
   * A timer can fire before its time as the clock it is checked against reads it (timers
   * count from the event loop's cached time, which lags behind under load): it is then armed
   * again for what is left, never dropped.
   */
  #armFence(): void {
    clearTimeout(this.#fenceTimer);
    this.#fenceTimer = setTimeout(
      () => {
        if (this.#incarnation === undefined) return;
        if (this.#now() >= this.#trustedUntil) this.#lose('no lease renewal got through in time');
        else this.#armFence();
      },
      Math.ceil(Math.max(0, this.#trustedUntil - this.#now())) + 1,
    );
    this.#fenceTimer.unref();
  }

  #scheduleRenewal(): void {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = setTimeout(() => void this.#renew(), this.timings.renewEveryMs);
    this.#renewTimer.unref();
  }

  async #renew(): Promise<void> {
    const incarnation = this.#incarnation;
    if (incarnation === undefined || this.#stopped) return;
    const sentAt = this.#now();
    try {
      const ok = await this.#script('jssdkRenew')(this.keys.lease(this.nodeId), this.keys.nodes, this.nodeId, incarnation, this.timings.ttlMs);
      if (this.#incarnation !== incarnation) return;
      if (ok !== 1) {
        this.#lose('the lease expired in Redis');
        return;
      }
      if (this.#renewFailing) this.#log.warn({ nodeId: this.nodeId }, 'cluster lease renewed again');
      this.#renewFailing = false;
      // A reply that comes back after the node already counted itself unleased changes nothing.
      if (this.#now() < this.#trustedUntil) this.#trusted(sentAt);
    } catch (err) {
      if (!this.#renewFailing) this.#log.warn({ nodeId: this.nodeId, err: errorText(err) }, 'cluster lease renewal failed; retrying');
      this.#renewFailing = true;
    }
    if (this.#incarnation === incarnation) this.#scheduleRenewal();
  }

  #lose(reason: string): void {
    if (this.#incarnation === undefined) return;
    this.#log.error({ nodeId: this.nodeId, incarnation: this.#incarnation, reason }, 'cluster lease lost: giving every user back');
    this.#incarnation = undefined;
    this.#trustedUntil = 0;
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#fenceTimer);
    this.emit('lost', reason);
    void this.#regain();
  }

  /** After a loss: take a new lease as soon as Redis lets us (the old one must run out first). */
  async #regain(): Promise<void> {
    while (!this.#stopped && this.#incarnation === undefined) {
      try {
        if (await this.#tryRegister()) return;
      } catch {
        // Redis still unreachable; the connection logs that itself.
      }
      await sleep(this.timings.renewEveryMs);
    }
  }

  async acquire(userID: string, platformID: number): Promise<AcquireResult> {
    const incarnation = this.#incarnation;
    if (incarnation === undefined || !this.leased) return { kind: 'unleased' };
    const field = ownerField(userID, platformID);
    const reply = await this.#script('jssdkAcquire')(
      this.keys.owner(field),
      this.keys.lease(this.nodeId),
      this.keys.owned(this.nodeId, incarnation),
      this.keys.fence,
      this.nodeId,
      incarnation,
      field,
      this.keys.leasePrefix,
    );
    const result = parseAcquireReply(reply);
    return result.kind === 'acquired' ? { ...result, incarnation } : result;
  }

  /** Whether userID/platformID is still ours under this fence and run, with our lease alive (checked in Redis). */
  async verify(userID: string, platformID: number, fence: number, incarnation: string): Promise<boolean> {
    if (incarnation !== this.#incarnation || !this.leased) return false;
    const field = ownerField(userID, platformID);
    const entry = `${this.nodeId} ${incarnation} ${fence}`;
    const ok = await this.#script('jssdkVerify')(this.keys.owner(field), this.keys.lease(this.nodeId), entry, incarnation);
    return ok === 1 && this.leased && incarnation === this.#incarnation;
  }

  /** Frees the entry if it is still ours under this fence; false when it was not (or Redis failed). */
  async release(userID: string, platformID: number, fence: number, incarnation: string): Promise<boolean> {
    const field = ownerField(userID, platformID);
    const entry = `${this.nodeId} ${incarnation} ${fence}`;
    const ok = await this.#script('jssdkRelease')(this.keys.owner(field), this.keys.owned(this.nodeId, incarnation), entry, field, `${this.nodeId} ${incarnation} `);
    return ok === 1;
  }

  async liveNodes(): Promise<string[]> {
    const reply = await this.#script('jssdkLiveNodes')(this.keys.nodes, this.keys.leasePrefix);
    if (!Array.isArray(reply)) return [];
    return reply.filter((n): n is string => typeof n === 'string' && NODE_ID_PATTERN.test(n));
  }

  /** Removes one batch of what dead nodes left; the number of entries removed. */
  async sweep(): Promise<number> {
    const reply = await this.#script('jssdkSweep')(this.keys.nodes, this.keys.base, 2 * this.timings.ttlMs, CLUSTER_LIMITS.sweepBatch);
    return typeof reply === 'number' ? reply : 0;
  }

  /** Graceful stop: our lease goes now (the users were given back before this). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#fenceTimer);
    clearInterval(this.#sweepTimer);
    const incarnation = this.#incarnation;
    this.#incarnation = undefined;
    if (incarnation === undefined) return;
    await this.#script('jssdkDeregister')(this.keys.lease(this.nodeId), this.keys.nodes, this.keys.owned(this.nodeId, incarnation), this.nodeId, incarnation).catch(
      (err: unknown) => this.#log.warn({ err: errorText(err) }, 'could not drop the cluster lease; it expires on its own'),
    );
  }
}

/** What Redis answered to an acquire, checked: a reply of another shape is an error, not a guess. */
export function parseAcquireReply(reply: unknown): { kind: 'acquired'; fence: number } | Exclude<AcquireResult, { kind: 'acquired' }> {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') throw new Error('unexpected reply from the acquire script');
  const fenceOf = (v: unknown): number => {
    const n = typeof v === 'string' && /^[0-9]{1,15}$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new Error('unexpected fence in the directory');
    return n;
  };
  switch (reply[0]) {
    case 'acquired':
      return { kind: 'acquired', fence: fenceOf(reply[1]) };
    case 'owned': {
      const nodeId: unknown = reply[1];
      if (typeof nodeId !== 'string' || !NODE_ID_PATTERN.test(nodeId)) throw new Error('unexpected owner in the directory');
      return { kind: 'owned', nodeId, fence: fenceOf(reply[2]) };
    }
    case 'unleased':
      return { kind: 'unleased' };
    default:
      throw new Error('unexpected reply from the acquire script');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
