/**
 * Caches verdicts of another TokenVerifier, so that clients reconnecting with the
 * same token (every page reload, every flaky mobile link) do not each cost an IM
 * round trip, and a reconnect storm after an IM hiccup collapses into one request
 * per token.
 *
 * - Positive verdicts live until the token expires (optionally capped by maxAgeMs),
 *   within a bounded LRU.
 * - 401 verdicts are kept only for negativeTtlMs (default 0: not at all).
 * - 503 verdicts are never kept: the next attempt should ask again.
 * - Concurrent checks of the same (token, userID, platformID) share one call to the
 *   inner verifier; they all get the first caller's operationID on the wire.
 *
 * A cached positive verdict does not learn that the IM kicked the token later; the
 * core's own IM connection does, and the caller can forget() the entry then.
 */
import type { TokenExpectation, TokenVerdict, TokenVerifier } from './token-verifier.ts';

export interface TokenCacheOptions {
  /** Default 100 000; least recently used entries go first. */
  maxEntries?: number;
  /** Default: no cap beyond the token's own expiry. */
  maxAgeMs?: number;
  /** How long a 401 verdict is reused. Default 0. */
  negativeTtlMs?: number;
  /** Epoch ms; for tests. */
  now?: () => number;
}

interface Entry {
  verdict: TokenVerdict;
  /** Epoch ms after which the entry is ignored. */
  validUntil: number;
}

export const DEFAULT_TOKEN_CACHE_ENTRIES = 100_000;

export class CachingTokenVerifier implements TokenVerifier {
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;
  /** Map iteration order is insertion order; re-inserting on a hit makes it an LRU. */
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<TokenVerdict>>();

  constructor(
    private readonly inner: TokenVerifier,
    options: TokenCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? DEFAULT_TOKEN_CACHE_ENTRIES;
    this.maxAgeMs = options.maxAgeMs ?? Number.POSITIVE_INFINITY;
    this.negativeTtlMs = options.negativeTtlMs ?? 0;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError(`token cache maxEntries must be a positive integer, got ${this.maxEntries}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  verify(token: string, expect: TokenExpectation, operationID: string): Promise<TokenVerdict> {
    const key = cacheKey(token, expect);
    const cached = this.lookup(key);
    if (cached !== undefined) return Promise.resolve(cached);

    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;

    const request = this.inner.verify(token, expect, operationID).then(
      (verdict) => {
        // forget()/clear() while the request was out: its answer must not resurrect the entry.
        if (this.inFlight.get(key) === request) {
          this.inFlight.delete(key);
          this.store(key, verdict);
        }
        return verdict;
      },
      (err: unknown) => {
        if (this.inFlight.get(key) === request) this.inFlight.delete(key);
        throw err;
      },
    );
    this.inFlight.set(key, request);
    return request;
  }

  /** Drops what is known about this token for this user and platform (e.g. after the IM kicked it). */
  forget(token: string, expect: TokenExpectation): void {
    const key = cacheKey(token, expect);
    this.entries.delete(key);
    this.inFlight.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.inFlight.clear();
  }

  private lookup(key: string): TokenVerdict | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (this.now() >= entry.validUntil) return undefined;
    this.entries.set(key, entry);
    return entry.verdict;
  }

  private store(key: string, verdict: TokenVerdict): void {
    const now = this.now();
    let validUntil: number;
    if (verdict.ok) validUntil = Math.min(verdict.expiresAt, now + this.maxAgeMs);
    else if (verdict.status === 401) validUntil = now + this.negativeTtlMs;
    else return;
    if (validUntil <= now) return;

    this.entries.delete(key);
    this.entries.set(key, { verdict, validUntil });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}

/** JSON keeps the three parts apart whatever characters a userID contains. */
function cacheKey(token: string, expect: TokenExpectation): string {
  return JSON.stringify([token, expect.userID, expect.platformID]);
}
