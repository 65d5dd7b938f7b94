import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenImTokenVerifier } from '../../src/auth/openim-verifier.ts';
import { CachingTokenVerifier } from '../../src/auth/token-cache.ts';
import type { TokenExpectation, TokenVerdict, TokenVerifier } from '../../src/auth/token-verifier.ts';

const alice = { userID: 'alice', platformID: 5 };
const T0 = 1_900_000_000_000;

interface Call {
  token: string;
  expect: TokenExpectation;
  operationID: string;
  resolve: (v: TokenVerdict) => void;
  reject: (e: unknown) => void;
}

/** An inner verifier whose answers the test hands out one by one. */
class ScriptedVerifier implements TokenVerifier {
  readonly calls: Call[] = [];
  verify(token: string, expect: TokenExpectation, operationID: string): Promise<TokenVerdict> {
    return new Promise((resolve, reject) => this.calls.push({ token, expect, operationID, resolve, reject }));
  }
  answer(i: number, verdict: TokenVerdict): void {
    const call = this.calls[i];
    if (call === undefined) throw new Error(`no call #${i}`);
    call.resolve(verdict);
  }
}

/** Answers every call at once with the verdict the test chose. */
class FixedVerifier implements TokenVerifier {
  calls = 0;
  constructor(public verdict: TokenVerdict) {}
  verify(): Promise<TokenVerdict> {
    this.calls += 1;
    return Promise.resolve(this.verdict);
  }
}

function clock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('CachingTokenVerifier', () => {
  it('answers a repeated check from the cache', async () => {
    const inner = new FixedVerifier({ ok: true, expiresAt: T0 + 60_000 });
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    const first = await cache.verify('t', alice, 'op1');
    const second = await cache.verify('t', alice, 'op2');
    expect(second).toEqual(first);
    expect(inner.calls).toBe(1);
    expect(cache.size).toBe(1);
  });

  it('keeps tokens of different users and platforms apart', async () => {
    const inner = new FixedVerifier({ ok: true, expiresAt: T0 + 60_000 });
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    await cache.verify('t', alice, 'op');
    await cache.verify('t', { userID: 'bob', platformID: 5 }, 'op');
    await cache.verify('t', { userID: 'alice', platformID: 6 }, 'op');
    await cache.verify('u', alice, 'op');
    expect(inner.calls).toBe(4);
  });

  it('asks again once the token has expired', async () => {
    const c = clock();
    const inner = new FixedVerifier({ ok: true, expiresAt: T0 + 1000 });
    const cache = new CachingTokenVerifier(inner, { now: c.now });
    await cache.verify('t', alice, 'op');
    c.advance(999);
    await cache.verify('t', alice, 'op');
    expect(inner.calls).toBe(1);
    c.advance(1);
    inner.verdict = { ok: false, status: 401, errCode: 1501, errMsg: 'TokenExpiredError' };
    expect(await cache.verify('t', alice, 'op')).toMatchObject({ ok: false, errCode: 1501 });
    expect(inner.calls).toBe(2);
  });

  it('does not cache a verdict that is already past its expiry', async () => {
    const inner = new FixedVerifier({ ok: true, expiresAt: T0 - 1 });
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    await cache.verify('t', alice, 'op');
    await cache.verify('t', alice, 'op');
    expect(inner.calls).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('takes an accepted token on trust for 60 s by default (--token-cache-ttl), then asks again', async () => {
    const c = clock();
    const inner = new FixedVerifier({ ok: true, expiresAt: T0 + 86_400_000 });
    const cache = new CachingTokenVerifier(inner, { now: c.now });
    await cache.verify('t', alice, 'op');
    c.advance(59_999);
    await cache.verify('t', alice, 'op');
    expect(inner.calls).toBe(1);
    c.advance(1);
    await cache.verify('t', alice, 'op');
    expect(inner.calls).toBe(2);
  });

  it('caps the lifetime with acceptedTtlMs; 0 asks every time', async () => {
    const c = clock();
    const inner = new FixedVerifier({ ok: true, expiresAt: T0 + 86_400_000 });
    const cache = new CachingTokenVerifier(inner, { now: c.now, acceptedTtlMs: 5000 });
    await cache.verify('t', alice, 'op');
    c.advance(4999);
    await cache.verify('t', alice, 'op');
    expect(inner.calls).toBe(1);
    c.advance(1);
    await cache.verify('t', alice, 'op');
    expect(inner.calls).toBe(2);
    const never = new CachingTokenVerifier(inner, { now: c.now, acceptedTtlMs: 0 });
    await never.verify('t', alice, 'op');
    await never.verify('t', alice, 'op');
    expect(inner.calls).toBe(4);
    expect(never.size).toBe(0);
  });

  it('reuses a refusal (401) for 10 s by default, then asks again', async () => {
    const c = clock();
    const inner = new FixedVerifier({ ok: false, status: 401, errCode: 1506, errMsg: 'TokenKickedError' });
    const cache = new CachingTokenVerifier(inner, { now: c.now });
    await cache.verify('t', alice, 'op');
    c.advance(9_999);
    expect(await cache.verify('t', alice, 'op')).toMatchObject({ errCode: 1506 });
    expect(inner.calls).toBe(1);
    c.advance(1);
    await cache.verify('t', alice, 'op');
    expect(inner.calls).toBe(2);
  });

  it('keeps 401 verdicts for refusedTtlMs', async () => {
    const c = clock();
    const inner = new FixedVerifier({ ok: false, status: 401, errCode: 1506, errMsg: 'TokenKickedError' });
    const cache = new CachingTokenVerifier(inner, { now: c.now, refusedTtlMs: 2000 });
    await cache.verify('t', alice, 'op');
    c.advance(1999);
    expect(await cache.verify('t', alice, 'op')).toMatchObject({ errCode: 1506 });
    expect(inner.calls).toBe(1);
    c.advance(1);
    await cache.verify('t', alice, 'op');
    expect(inner.calls).toBe(2);
  });

  it('never caches 503 verdicts', async () => {
    const inner = new FixedVerifier({ ok: false, status: 503, errMsg: 'IM down' });
    const cache = new CachingTokenVerifier(inner, { now: clock().now, refusedTtlMs: 60_000 });
    await cache.verify('t', alice, 'op');
    inner.verdict = { ok: true, expiresAt: T0 + 60_000 };
    expect((await cache.verify('t', alice, 'op')).ok).toBe(true);
    expect(inner.calls).toBe(2);
  });

  it('shares one inner call among concurrent checks of the same token', async () => {
    const inner = new ScriptedVerifier();
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    const waiting = [cache.verify('t', alice, 'op1'), cache.verify('t', alice, 'op2'), cache.verify('t', alice, 'op3')];
    const other = cache.verify('t', { userID: 'bob', platformID: 5 }, 'op4');
    expect(inner.calls.map((c) => c.operationID)).toEqual(['op1', 'op4']);
    inner.answer(0, { ok: true, expiresAt: T0 + 60_000 });
    inner.answer(1, { ok: false, status: 401, errCode: 1502, errMsg: 'x' });
    expect(await Promise.all(waiting)).toEqual([1, 2, 3].map(() => ({ ok: true, expiresAt: T0 + 60_000 })));
    expect((await other).ok).toBe(false);
    await cache.verify('t', alice, 'op5');
    expect(inner.calls).toHaveLength(2);
  });

  it('shares a failing inner call too, then tries afresh', async () => {
    const inner = new ScriptedVerifier();
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    const a = cache.verify('t', alice, 'op');
    const b = cache.verify('t', alice, 'op');
    inner.calls[0]?.reject(new Error('bug'));
    await expect(a).rejects.toThrow('bug');
    await expect(b).rejects.toThrow('bug');
    void cache.verify('t', alice, 'op');
    expect(inner.calls).toHaveLength(2);
  });

  it('does not let an answer that arrives after forget() fill the cache', async () => {
    const inner = new ScriptedVerifier();
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    const pending = cache.verify('t', alice, 'op');
    cache.forget('t', alice);
    inner.answer(0, { ok: true, expiresAt: T0 + 60_000 });
    expect((await pending).ok).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('forgets a cached token on request', async () => {
    const inner = new FixedVerifier({ ok: true, expiresAt: T0 + 60_000 });
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    await cache.verify('t', alice, 'op');
    cache.forget('t', alice);
    await cache.verify('t', alice, 'op');
    expect(inner.calls).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry beyond its entries bound', async () => {
    const inner = new FixedVerifier({ ok: true, expiresAt: T0 + 60_000 });
    const cache = new CachingTokenVerifier(inner, { now: clock().now, accepted: { entries: 2, bytes: 2 ** 20 } });
    await cache.verify('a', alice, 'op');
    await cache.verify('b', alice, 'op');
    await cache.verify('a', alice, 'op'); // a is now the most recently used
    await cache.verify('c', alice, 'op'); // evicts b
    expect(cache.size).toBe(2);
    expect(inner.calls).toBe(3);
    await cache.verify('a', alice, 'op');
    await cache.verify('c', alice, 'op');
    expect(inner.calls).toBe(3);
    await cache.verify('b', alice, 'op');
    expect(inner.calls).toBe(4);
  });

  it('refuses nonsensical bounds', () => {
    const inner = new FixedVerifier({ ok: true, expiresAt: 0 });
    expect(() => new CachingTokenVerifier(inner, { accepted: { entries: 0, bytes: 1 } })).toThrow(RangeError);
    expect(() => new CachingTokenVerifier(inner, { refused: { entries: 1, bytes: 0.5 } })).toThrow(RangeError);
    expect(() => new CachingTokenVerifier(inner, { maxInFlight: 0 })).toThrow(RangeError);
    expect(() => new CachingTokenVerifier(inner, { acceptedTtlMs: -1 })).toThrow(RangeError);
  });
});

/** Answers by token: tokens starting with "bad" are refused, others accepted. */
class ByTokenVerifier implements TokenVerifier {
  calls = 0;
  constructor(private readonly refusal = 'TokenKickedError') {}
  verify(token: string): Promise<TokenVerdict> {
    this.calls += 1;
    return Promise.resolve(token.startsWith('bad') ? { ok: false, status: 401, errCode: 1506, errMsg: this.refusal } : { ok: true, expiresAt: T0 + 3_600_000 });
  }
}

const MiB = 2 ** 20;

describe('CachingTokenVerifier bounds', () => {
  it('has at most 64 inner calls in flight by default; past it answers a busy 503 at once, asking nobody', async () => {
    const inner = new ScriptedVerifier();
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    const first = Array.from({ length: 64 }, (_, i) => cache.verify(`t${i}`, alice, 'op'));
    expect(inner.calls).toHaveLength(64);
    expect(cache.checksInFlight).toBe(64);
    expect(await cache.verify('t64', alice, 'op')).toEqual({ ok: false, status: 503, busy: true, errMsg: 'more than 64 token checks in flight' });
    expect(inner.calls).toHaveLength(64);
    // Joining a check in flight costs nothing and is not refused.
    const joined = cache.verify('t0', alice, 'op');
    expect(inner.calls).toHaveLength(64);
    inner.answer(0, { ok: true, expiresAt: T0 + 60_000 });
    expect((await joined).ok).toBe(true);
    expect((await first[0])?.ok).toBe(true);
    expect(cache.checksInFlight).toBe(63);
    // A cache hit needs no slot; a new token takes the freed one.
    expect((await cache.verify('t0', alice, 'op')).ok).toBe(true);
    void cache.verify('t64', alice, 'op');
    expect(inner.calls).toHaveLength(65);
    expect((await cache.verify('t65', alice, 'op')).ok).toBe(false);
  });

  it('frees the slot of a check whose key was forgotten only when its call settles', async () => {
    const inner = new ScriptedVerifier();
    const cache = new CachingTokenVerifier(inner, { now: clock().now, maxInFlight: 1 });
    const pending = cache.verify('a', alice, 'op');
    cache.forget('a', alice);
    expect(await cache.verify('b', alice, 'op')).toMatchObject({ status: 503, busy: true });
    inner.answer(0, { ok: true, expiresAt: T0 + 60_000 });
    await pending;
    void cache.verify('b', alice, 'op');
    expect(inner.calls).toHaveLength(2);
  });

  it('turns an inner verifier that throws synchronously into a rejection and frees its slot', async () => {
    const throwing: TokenVerifier = {
      verify() {
        throw new Error('bug');
      },
    };
    const cache = new CachingTokenVerifier(throwing, { now: clock().now, maxInFlight: 1 });
    await expect(cache.verify('a', alice, 'op')).rejects.toThrow('bug');
    expect(cache.checksInFlight).toBe(0);
    await expect(cache.verify('a', alice, 'op')).rejects.toThrow('bug');
  });

  it('keeps refusals apart: a flood of bad tokens cannot push an accepted one out (10 000 refusals at most)', async () => {
    const inner = new ByTokenVerifier();
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    await cache.verify('good', alice, 'op');
    for (let i = 0; i < 10_050; i++) await cache.verify(`bad${i}`, alice, 'op');
    expect(cache.size).toBe(1 + 10_000);
    const calls = inner.calls;
    expect((await cache.verify('good', alice, 'op')).ok).toBe(true);
    expect(inner.calls).toBe(calls);
  });

  it('remembers at most 50 000 accepted tokens, and at most an estimated 32 MiB of them', async () => {
    const inner = new ByTokenVerifier();
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    for (let i = 0; i < 50_010; i++) await cache.verify(`t${i}`, alice, 'op');
    expect(cache.size).toBe(50_000);
    expect(cache.bytes).toBe(50_000 * (480 + 2 * 'alice'.length));
    // Entries big enough (long userIDs: the cache itself takes any) make the byte bound the one that holds.
    const wide = new CachingTokenVerifier(inner, { now: clock().now });
    const userID = 'u'.repeat(200);
    for (let i = 0; i < 50_010; i++) await wide.verify(`t${i}`, { userID, platformID: 5 }, 'op');
    expect(wide.bytes).toBeLessThanOrEqual(32 * MiB);
    expect(wide.size).toBe(Math.floor((32 * MiB) / (480 + 2 * 200)));
  });

  it('remembers at most an estimated 8 MiB of refusals, each message cut to 256 characters', async () => {
    const inner = new ByTokenVerifier('x'.repeat(10_000));
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    const v = await cache.verify('bad', alice, 'op');
    expect(!v.ok && v.errMsg.length).toBe(256);
    expect(!v.ok && v.errMsg.endsWith('…')).toBe(true);
    const userID = 'u'.repeat(64);
    for (let i = 0; i < 10_010; i++) await cache.verify(`bad${i}`, { userID, platformID: 5 }, 'op');
    expect(cache.bytes).toBeLessThanOrEqual(8 * MiB);
    expect(cache.size).toBe(Math.floor((8 * MiB) / (480 + 2 * (64 + 256))));
  });

  it('costs the same for a 4 KiB token as for a short one (entries are keyed by a hash)', async () => {
    const inner = new ByTokenVerifier();
    const short = new CachingTokenVerifier(inner, { now: clock().now });
    const long = new CachingTokenVerifier(inner, { now: clock().now });
    await short.verify('t', alice, 'op');
    await long.verify('t'.repeat(4096), alice, 'op');
    expect(long.bytes).toBe(short.bytes);
    expect(short.bytes).toBe(480 + 2 * 'alice'.length);
  });

  it('forgetUser drops every verdict of a user, of one platform or of all, and checks in flight', async () => {
    const inner = new ByTokenVerifier();
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    const web = { userID: 'alice', platformID: 5 };
    const ios = { userID: 'alice', platformID: 1 };
    const bob = { userID: 'bob', platformID: 5 };
    for (const who of [web, ios, bob]) {
      await cache.verify('t1', who, 'op');
      await cache.verify('bad1', who, 'op');
    }
    expect(cache.size).toBe(6);
    cache.forgetUser('alice', 5);
    expect(cache.size).toBe(4);
    cache.forgetUser('alice');
    expect(cache.size).toBe(2);
    const calls = inner.calls;
    await cache.verify('t1', bob, 'op');
    expect(inner.calls).toBe(calls);
    await cache.verify('t1', web, 'op');
    expect(inner.calls).toBe(calls + 1);

    const scripted = new ScriptedVerifier();
    const pendingCache = new CachingTokenVerifier(scripted, { now: clock().now });
    const pending = pendingCache.verify('t', web, 'op');
    pendingCache.forgetUser('alice');
    scripted.answer(0, { ok: true, expiresAt: T0 + 60_000 });
    await pending;
    expect(pendingCache.size).toBe(0);
  });
});

describe('CachingTokenVerifier over the IM', () => {
  let server: Server;
  let base: string;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests += 1;
      req.resume();
      req.on('end', () => {
        // Answer slowly enough for concurrent checks to overlap.
        setTimeout(() => {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(
            JSON.stringify({
              errCode: 0,
              errMsg: '',
              errDlt: '',
              data: { userID: 'alice', platformID: 5, expireTimeSeconds: Math.floor(Date.now() / 1000) + 3600 },
            }),
          );
        }, 50);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('makes one HTTP call for concurrent and repeated checks of one token', async () => {
    const cache = new CachingTokenVerifier(new OpenImTokenVerifier({ apiBase: base }));
    const verdicts = await Promise.all(Array.from({ length: 5 }, (_, i) => cache.verify('tok', alice, `op${i}`)));
    expect(verdicts.every((v) => v.ok)).toBe(true);
    expect(await cache.verify('tok', alice, 'again')).toEqual(verdicts[0]);
    expect(requests).toBe(1);
  });
});
