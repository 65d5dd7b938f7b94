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

  it('caps the lifetime with maxAgeMs', async () => {
    const c = clock();
    const inner = new FixedVerifier({ ok: true, expiresAt: T0 + 86_400_000 });
    const cache = new CachingTokenVerifier(inner, { now: c.now, maxAgeMs: 5000 });
    await cache.verify('t', alice, 'op');
    c.advance(5000);
    await cache.verify('t', alice, 'op');
    expect(inner.calls).toBe(2);
  });

  it('does not cache 401 verdicts by default', async () => {
    const inner = new FixedVerifier({ ok: false, status: 401, errCode: 1506, errMsg: 'TokenKickedError' });
    const cache = new CachingTokenVerifier(inner, { now: clock().now });
    await cache.verify('t', alice, 'op');
    await cache.verify('t', alice, 'op');
    expect(inner.calls).toBe(2);
  });

  it('keeps 401 verdicts for negativeTtlMs when asked to', async () => {
    const c = clock();
    const inner = new FixedVerifier({ ok: false, status: 401, errCode: 1506, errMsg: 'TokenKickedError' });
    const cache = new CachingTokenVerifier(inner, { now: c.now, negativeTtlMs: 2000 });
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
    const cache = new CachingTokenVerifier(inner, { now: clock().now, negativeTtlMs: 60_000 });
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

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const inner = new FixedVerifier({ ok: true, expiresAt: T0 + 60_000 });
    const cache = new CachingTokenVerifier(inner, { now: clock().now, maxEntries: 2 });
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

  it('refuses a nonsensical size', () => {
    expect(() => new CachingTokenVerifier(new FixedVerifier({ ok: true, expiresAt: 0 }), { maxEntries: 0 })).toThrow(RangeError);
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
