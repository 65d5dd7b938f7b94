/**
 * Caches verdicts of another TokenVerifier, so that clients reconnecting with the same
 * token (every page reload, every flaky mobile link) do not each cost an IM round trip,
 * and bounds what a flood of handshakes can make the IM server do.
 *
 * - An accepted token is taken on trust for at most `acceptedTtlMs` (`--token-cache-ttl`)
 *   and never past its own expiry: a token the IM server has since refused (kicked,
 *   replaced, logged out) stops opening sockets within that time, and at once where we
 *   learn of it (forget / forgetUser on Logout, admin kick, kicked/expired core events).
 * - A refusal (401) is reused for `refusedTtlMs`, so a flood of one bad token costs one IM
 *   request per that time; "could not find out" (503) is never kept.
 * - Concurrent checks of the same (token, userID, platformID) share one inner call; they
 *   all get the first caller's operationID on the wire.
 * - At most `maxInFlight` inner calls are outstanding at once; a check that would need
 *   one more is answered at once with a 503 verdict marked `busy`, never queued.
 * - Memory is bounded by entries and by estimated bytes, accepted and refused verdicts
 *   apart (bad tokens cannot push good ones out). Entries are keyed by a SHA-256 of the
 *   token, user and platform: a token may be kilobytes long, the key is 43 characters.
 */
import { createHash } from 'node:crypto';
import { AUTH_LIMITS } from './auth-limits.ts';
import type { TokenExpectation, TokenVerdict, TokenVerifier } from './token-verifier.ts';

export interface VerdictStoreLimits {
  /** Verdicts at most; least recently used go first. */
  entries: number;
  /** Estimated bytes at most (see entryBytes). */
  bytes: number;
}

export interface TokenCacheOptions {
  /** Longest an accepted token is taken on trust. Default `--token-cache-ttl`'s default. */
  acceptedTtlMs?: number;
  /** How long a 401 verdict is reused (0: not at all). */
  refusedTtlMs?: number;
  /** Inner calls outstanding at once. */
  maxInFlight?: number;
  accepted?: VerdictStoreLimits;
  refused?: VerdictStoreLimits;
  /** Refusal messages are cut to this many characters. */
  maxMessageChars?: number;
  /** Epoch ms; for tests. */
  now?: () => number;
}

interface Entry {
  readonly verdict: TokenVerdict;
  /** Epoch ms after which the entry is ignored. */
  readonly validUntil: number;
  readonly userID: string;
  readonly platformID: number;
  readonly bytes: number;
}

interface InFlight {
  readonly request: Promise<TokenVerdict>;
  readonly userID: string;
  readonly platformID: number;
}

/**
 * Heap cost of one entry beyond its strings: the hashed key, the Map slot, the entry and
 * verdict objects and the per-user index (measured: 460–530 bytes an entry for short
 * userIDs and messages, Node 20).
 */
export const ENTRY_OVERHEAD_BYTES = 480;

/** Estimated heap cost of one entry: the overhead plus its strings at two bytes a character (the worst case). */
export function entryBytes(userID: string, verdict: TokenVerdict): number {
  const message = verdict.ok ? 0 : verdict.errMsg.length;
  return ENTRY_OVERHEAD_BYTES + 2 * (userID.length + message);
}

/** One LRU of verdicts, bounded by entries and estimated bytes. */
class VerdictStore {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(
    readonly name: string,
    private readonly limits: VerdictStoreLimits,
    private readonly onRemoved: (key: string, entry: Entry) => void,
  ) {
    for (const [what, n] of Object.entries(limits)) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`token cache: ${name} ${what} must be a positive integer, got ${n}`);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  peek(key: string): Entry | undefined {
    return this.#entries.get(key);
  }

  /** The live entry for key, now the most recently used; an expired one is dropped. */
  use(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (now >= entry.validUntil) {
      this.#removed(key, entry);
      return undefined;
    }
    // Map iteration order is insertion order: re-inserting makes it an LRU.
    this.#entries.set(key, entry);
    return entry;
  }

  put(key: string, entry: Entry): void {
    this.delete(key);
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
    while (this.#entries.size > this.limits.entries || this.#bytes > this.limits.bytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#removed(key, entry);
  }

  clear(): void {
    for (const key of [...this.#entries.keys()]) this.delete(key);
  }

  #removed(key: string, entry: Entry): void {
    this.#bytes -= entry.bytes;
    this.onRemoved(key, entry);
  }
}

export class CachingTokenVerifier implements TokenVerifier {
  private readonly acceptedTtlMs: number;
  private readonly refusedTtlMs: number;
  private readonly maxInFlight: number;
  private readonly maxMessageChars: number;
  private readonly now: () => number;
  private readonly accepted: VerdictStore;
  private readonly refused: VerdictStore;
  /** userID → keys of its entries in either store (each key is in at most one). */
  private readonly byUser = new Map<string, Set<string>>();
  private readonly inFlight = new Map<string, InFlight>();
  /** Inner calls not settled yet, including ones whose key was forgotten meanwhile. */
  private outstanding = 0;

  constructor(
    private readonly inner: TokenVerifier,
    options: TokenCacheOptions = {},
  ) {
    this.acceptedTtlMs = options.acceptedTtlMs ?? AUTH_LIMITS.tokenCacheTtlSeconds * 1000;
    this.refusedTtlMs = options.refusedTtlMs ?? AUTH_LIMITS.refusalTtlMs;
    this.maxInFlight = options.maxInFlight ?? AUTH_LIMITS.tokenChecksInFlight;
    this.maxMessageChars = options.maxMessageChars ?? AUTH_LIMITS.verdictMessageChars;
    this.now = options.now ?? Date.now;
    for (const [what, n] of Object.entries({ acceptedTtlMs: this.acceptedTtlMs, refusedTtlMs: this.refusedTtlMs })) {
      if (!(n >= 0)) throw new RangeError(`token cache: ${what} must not be negative, got ${n}`);
    }
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) {
      throw new RangeError(`token cache: maxInFlight must be a positive integer, got ${this.maxInFlight}`);
    }
    const unindex = (key: string, entry: Entry): void => {
      const keys = this.byUser.get(entry.userID);
      keys?.delete(key);
      if (keys?.size === 0) this.byUser.delete(entry.userID);
    };
    this.accepted = new VerdictStore('accepted', options.accepted ?? AUTH_LIMITS.acceptedVerdicts, unindex);
    this.refused = new VerdictStore('refused', options.refused ?? AUTH_LIMITS.refusedVerdicts, unindex);
  }

  /** Verdicts remembered, accepted and refused. */
  get size(): number {
    return this.accepted.size + this.refused.size;
  }

  get cachedVerdicts(): number {
    return this.size;
  }

  /** Estimated bytes held by remembered verdicts. */
  get bytes(): number {
    return this.accepted.bytes + this.refused.bytes;
  }

  /** Inner calls outstanding. */
  get checksInFlight(): number {
    return this.outstanding;
  }

  verify(token: string, expect: TokenExpectation, operationID: string): Promise<TokenVerdict> {
    const key = cacheKey(token, expect);
    const now = this.now();
    const cached = this.accepted.use(key, now) ?? this.refused.use(key, now);
    if (cached !== undefined) return Promise.resolve(cached.verdict);

    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending.request;

    if (this.outstanding >= this.maxInFlight) {
      return Promise.resolve({ ok: false, status: 503, busy: true, errMsg: `more than ${this.maxInFlight} token checks in flight` });
    }

    let call: Promise<TokenVerdict>;
    try {
      call = this.inner.verify(token, expect, operationID);
    } catch (err) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what the verifier threw, unchanged
      call = Promise.reject(err);
    }
    this.outstanding++;
    const request: Promise<TokenVerdict> = call.then(
      (raw) => {
        this.outstanding--;
        const verdict = this.cut(raw);
        // forget()/forgetUser()/clear() while the call was out: its answer must not resurrect the entry.
        if (this.inFlight.get(key)?.request === request) {
          this.inFlight.delete(key);
          this.store(key, expect, verdict);
        }
        return verdict;
      },
      (err: unknown) => {
        this.outstanding--;
        if (this.inFlight.get(key)?.request === request) this.inFlight.delete(key);
        throw err;
      },
    );
    this.inFlight.set(key, { request, userID: expect.userID, platformID: expect.platformID });
    return request;
  }

  /** Drops what is known about this token for this user and platform (e.g. after the IM kicked it). */
  forget(token: string, expect: TokenExpectation): void {
    const key = cacheKey(token, expect);
    this.accepted.delete(key);
    this.refused.delete(key);
    this.inFlight.delete(key);
  }

  forgetUser(userID: string, platformID?: number): void {
    const matches = (e: { userID: string; platformID: number }): boolean => e.userID === userID && (platformID === undefined || e.platformID === platformID);
    for (const key of [...(this.byUser.get(userID) ?? [])]) {
      const entry = this.accepted.peek(key) ?? this.refused.peek(key);
      if (entry !== undefined && matches(entry)) {
        this.accepted.delete(key);
        this.refused.delete(key);
      }
    }
    for (const [key, flight] of [...this.inFlight]) if (matches(flight)) this.inFlight.delete(key);
  }

  clear(): void {
    this.accepted.clear();
    this.refused.clear();
    this.inFlight.clear();
  }

  /** Refusal messages can quote a token's claims: bounded before they are kept or sent. */
  private cut(verdict: TokenVerdict): TokenVerdict {
    if (verdict.ok || verdict.errMsg.length <= this.maxMessageChars) return verdict;
    return { ...verdict, errMsg: `${verdict.errMsg.slice(0, this.maxMessageChars - 1)}…` };
  }

  private store(key: string, expect: TokenExpectation, verdict: TokenVerdict): void {
    const now = this.now();
    let store: VerdictStore;
    let validUntil: number;
    if (verdict.ok) {
      store = this.accepted;
      validUntil = Math.min(verdict.expiresAt, now + this.acceptedTtlMs);
    } else if (verdict.status === 401) {
      store = this.refused;
      validUntil = now + this.refusedTtlMs;
    } else {
      return;
    }
    if (!(validUntil > now)) return;
    // A key lives in one store only: a token refused now may have been accepted before.
    (store === this.accepted ? this.refused : this.accepted).delete(key);
    const { userID, platformID } = expect;
    store.put(key, { verdict, validUntil, userID, platformID, bytes: entryBytes(userID, verdict) });
    // put() may have evicted the new entry itself (a single entry over the byte bound).
    if (store.peek(key) === undefined) return;
    let keys = this.byUser.get(userID);
    if (keys === undefined) {
      keys = new Set();
      this.byUser.set(userID, keys);
    }
    keys.add(key);
  }
}

/** JSON keeps the three parts apart whatever characters a userID contains. */
function cacheKey(token: string, expect: TokenExpectation): string {
  return createHash('sha256')
    .update(JSON.stringify([token, expect.userID, expect.platformID]))
    .digest('base64url');
}
