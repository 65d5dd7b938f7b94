/**
 * Handshake-level abuse for the attack harness, each written raw on TCP (raw-handshake.ts):
 * malformed and huge query strings, doubled parameters, wrong tokens, half-sent requests
 * held open, handshakes kept "being verified" by a slow IM server to lock another user out,
 * floods of one refused token and of many at once.
 *
 * Statuses follow README: malformed → 400, token refused → 401 (IM token errCode),
 * user+platform at its connection cap → 429, IM unusable or the server busy → 503,
 * a request head beyond Node's 16 KiB → 431; refusals carry a JSON {errCode, errMsg} that
 * does not reveal the IM server's address.
 */
import { connect, type Socket } from 'node:net';
import type { Findings } from './findings.ts';
import { showOutcome, showTarget } from './fuzz-handshake.ts';
import { ImSocket } from './im-socket.ts';
import type { ImProxy } from './attack-im-proxy.ts';
import { SLOW_TOKEN_PREFIX } from './attack-im-proxy.ts';
import { PLATFORM_ID } from './attack-lane.ts';
import { rawHandshake, type HandshakeOutcome } from './raw-handshake.ts';
import { sleep } from './timing.ts';

export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Statuses the gateway itself answers a refused handshake with. */
const GATEWAY_REFUSALS: ReadonlySet<number> = new Set([400, 401, 429, 503]);

export interface HandshakeUser {
  userID: string;
  token: string;
}

export interface HandshakeContext {
  port: number;
  /** Hosts no refusal body may name (the IM server's and the proxy's). */
  imHosts: readonly string[];
  proxy: ImProxy;
  maxConnsPerUser: number;
  /** Fresh users, each with a valid token; the cases take them in turn. */
  users: () => HandshakeUser;
  /** A token of a user no case uses as sendID. */
  strangerToken: string;
  findings: Findings;
  /** Run-wide seed, so the refused tokens differ between runs but repeat with the seed. */
  seed: number;
}

export interface HandshakeFigures {
  handshakes: number;
  byStatus: Record<string, number>;
  /** IM token checks a sequential flood of one refused token cost. */
  refusedFloodChecks: number;
  refusedFloodSize: number;
  /** Most token checks in flight at once during the concurrent flood. */
  concurrentFloodPeakChecks: number;
  concurrentFloodSize: number;
}

type Query = ReadonlyArray<readonly [string, string]>;

function target(query: Query, path = '/'): Buffer {
  return Buffer.from(`${path}?${query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`);
}

export class HandshakeAttack {
  readonly figures: HandshakeFigures = { handshakes: 0, byStatus: {}, refusedFloodChecks: 0, refusedFloodSize: 0, concurrentFloodPeakChecks: 0, concurrentFloodSize: 0 };

  constructor(readonly ctx: HandshakeContext) {}

  /** One handshake, checked against the statuses it may get; returns its outcome. */
  async check(label: string, t: Buffer, allowed: readonly number[], opts: { nodeMayRefuse?: boolean; timeoutMs?: number } = {}): Promise<HandshakeOutcome> {
    const o = await rawHandshake(this.ctx.port, t, opts.timeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    this.figures.handshakes++;
    const key = o.kind === 'status' ? String(o.status) : o.kind;
    this.figures.byStatus[key] = (this.figures.byStatus[key] ?? 0) + 1;
    const report = (problem: string): void => this.ctx.findings.add('handshake', problem, `${label}: GET ${showTarget(t)}`, showOutcome(o), label);
    if (o.kind !== 'status') {
      report(o.kind === 'timeout' ? `no HTTP status within ${opts.timeoutMs ?? HANDSHAKE_TIMEOUT_MS} ms` : 'connection ended without an HTTP answer');
      return o;
    }
    if (!allowed.includes(o.status)) report(`HTTP ${o.status}, expected ${allowed.join(' or ')}`);
    if (!GATEWAY_REFUSALS.has(o.status)) return o;
    let body: { errCode?: unknown; errMsg?: unknown } | undefined;
    try {
      body = JSON.parse(o.body) as typeof body;
    } catch {
      body = undefined;
    }
    // Node's own parser refuses some request lines (raw control bytes) with a bare 400.
    if (body === undefined) {
      if (!(opts.nodeMayRefuse && o.status === 400)) report(`HTTP ${o.status} without a JSON {errCode, errMsg} body`);
      return o;
    }
    if (typeof body.errCode !== 'number' || typeof body.errMsg !== 'string' || body.errMsg.trim() === '')
      report(`HTTP ${o.status} body is not {errCode: number, errMsg: non-empty string}`);
    else if (o.status === 401 && !(body.errCode >= 1501 && body.errCode <= 1507)) report(`HTTP 401 with errCode ${body.errCode}, not an IM token error (1501–1507)`);
    if (this.ctx.imHosts.some((h) => o.body.includes(h))) report(`HTTP ${o.status} refusal body reveals the IM server's address`);
    return o;
  }

  /** Malformed, doubled, wrong and huge handshakes, one at a time. */
  async malformed(): Promise<void> {
    const u = this.ctx.users();
    const ok: Query = [
      ['sendID', u.userID],
      ['token', u.token],
      ['platformID', String(PLATFORM_ID)],
    ];
    const without = (name: string): Query => ok.filter(([k]) => k !== name);
    const withValue = (name: string, value: string): Query => ok.map(([k, v]) => [k, k === name ? value : v] as const);
    await this.check('valid', target(ok), [101]);
    await this.check('valid, on another path', target(ok, '/some/path'), [101]);
    for (const name of ['sendID', 'token', 'platformID']) {
      await this.check(`no ${name}`, target(without(name)), [400]);
      await this.check(`empty ${name}`, target(withValue(name, '')), [400]);
      await this.check(`${name} twice`, target([...ok, [name, ok.find(([k]) => k === name)?.[1] ?? '']]), [400]);
    }
    await this.check('operationID twice', target([...ok, ['operationID', 'a'], ['operationID', 'b']]), [400]);
    for (const p of ['0', '12', '10x', 'abc', '5.0', '05', '+5', ' 5', '\u0665', '1e1', '-5', '99999999999999999999']) {
      await this.check(`platformID ${JSON.stringify(p)}`, target(withValue('platformID', p)), [400]);
    }
    await this.check('token "x"', target(withValue('token', 'x')), [401]);
    await this.check("another user's token", target(withValue('token', this.ctx.strangerToken)), [401]);
    await this.check('token of this user for another platform', target(withValue('platformID', '1')), [401]);
    await this.check('token with a NUL', target(withValue('token', `${u.token}\u0000`)), [401]);
    await this.check('sendID of 8 KiB', target(withValue('sendID', 's'.repeat(8192))), [400, 401]);
    await this.check('token of 12 KiB', target(withValue('token', 't'.repeat(12 * 1024))), [400, 401]);
    // The handshake's operationID has no documented bound: taken, or refused as malformed.
    await this.check('operationID of 8 KiB', target([...ok, ['operationID', 'o'.repeat(8192)]]), [101, 400]);
    await this.check('operationID with CR LF', target([...ok, ['operationID', 'x\r\nX-Injected: 1']]), [101]);
    await this.check('query of 20 KiB', target([...ok, ['pad', 'p'.repeat(20 * 1024)]]), [431]);
    await this.check('query of 100 KiB', target([...ok, ['pad', 'p'.repeat(100 * 1024)]]), [431]);
    await this.check('1000 empty parameters', target([...ok, ...Array.from({ length: 1000 }, () => ['', ''] as const)]), [101]);
    const raw = (label: string, tail: string): Promise<HandshakeOutcome> =>
      this.check(label, Buffer.concat([target(ok), Buffer.from(tail, 'latin1')]), [101, 400, 401], { nodeMayRefuse: true });
    await raw('bad percent escapes', '&sendID2=%zz%E4%BD%');
    await raw('raw bytes above 0x7f in the query', '&x=\xff\xfe');
    await raw('a fragment', '#frag');
    await this.check('sendID with bad escapes', Buffer.from(`/?sendID=%zz%E4%BD&token=${encodeURIComponent(u.token)}&platformID=${PLATFORM_ID}`), [400, 401]);
  }

  /**
   * Half-sent request heads held open while the gateway must go on serving: a new valid
   * handshake is answered 101 promptly.
   */
  async slowHeads(count: number, holdMs: number): Promise<void> {
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const s = connect(this.ctx.port, '127.0.0.1');
        s.on('error', () => s.destroy());
        s.write(`GET /?sendID=slow${i}&token=`);
        sockets.push(s);
      }
      await sleep(Math.min(holdMs, 500));
      const u = this.ctx.users();
      await this.check(
        `valid, while ${count} half-sent heads are held open`,
        target([
          ['sendID', u.userID],
          ['token', u.token],
          ['platformID', String(PLATFORM_ID)],
        ]),
        [101],
        { timeoutMs: 3000 },
      );
      await sleep(Math.max(0, holdMs - 500));
    } finally {
      for (const s of sockets) s.destroy();
    }
  }

  /**
   * A user's own valid handshake while strangers hold `--max-conns-per-user` handshakes for
   * its userID "being verified" (their tokens answered slowly, then refused): it must get 101.
   */
  async victimLockout(slowMs: number): Promise<void> {
    const victim = this.ctx.users();
    const proxy = this.ctx.proxy;
    proxy.slowMs = slowMs;
    try {
      const n = this.ctx.maxConnsPerUser;
      const strangers = Array.from({ length: n }, (_, i) =>
        this.check(
          `stranger ${i + 1} of ${n} for the victim's userID, token verified slowly`,
          target([
            ['sendID', victim.userID],
            ['token', `${SLOW_TOKEN_PREFIX}${this.ctx.seed}-${i}`],
            ['platformID', String(PLATFORM_ID)],
          ]),
          [401, 429, 503],
          { timeoutMs: slowMs + HANDSHAKE_TIMEOUT_MS },
        ),
      );
      await sleep(Math.min(500, slowMs / 4));
      await this.check(
        `the victim's own valid handshake while ${n} strangers' handshakes for its userID are being verified`,
        target([
          ['sendID', victim.userID],
          ['token', victim.token],
          ['platformID', String(PLATFORM_ID)],
        ]),
        [101],
      );
      await Promise.all(strangers);
    } finally {
      proxy.slowMs = 0;
    }
  }

  /** One refused token, again and again: its refusal should be remembered, not re-asked each time. */
  async refusedTokenFlood(count: number): Promise<void> {
    // Each core's run has a gateway of its own (no verdict carries over); the proxy counts per run.
    const token = `refused-${this.ctx.seed}`;
    const u = this.ctx.users();
    const before = this.ctx.proxy.tokenChecksOf(token);
    for (let i = 0; i < count; i++) {
      await this.check(
        'one refused token, repeated',
        target([
          ['sendID', u.userID],
          ['token', token],
          ['platformID', String(PLATFORM_ID)],
        ]),
        [401, 429, 503],
      );
    }
    const checks = this.ctx.proxy.tokenChecksOf(token) - before;
    this.figures.refusedFloodChecks = checks;
    this.figures.refusedFloodSize = count;
    if (checks > 2) {
      this.ctx.findings.add(
        'handshake',
        `a flood of one refused token cost one IM token check per handshake (refusals are not remembered)`,
        `${count} handshakes with token ${JSON.stringify(token)}`,
        `${checks} token checks reached the IM server`,
      );
    }
  }

  /** Many handshakes at once, each with its own slowly refused token: each answered promptly. */
  async concurrentFlood(count: number, slowMs: number): Promise<void> {
    const proxy = this.ctx.proxy;
    proxy.slowMs = slowMs;
    proxy.resetInFlightPeak();
    try {
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          this.check(
            'one of many concurrent handshakes with slowly refused tokens',
            target([
              ['sendID', `flood${this.ctx.seed}_${i}`],
              ['token', `${SLOW_TOKEN_PREFIX}flood-${i}`],
              ['platformID', String(PLATFORM_ID)],
            ]),
            [401, 429, 503],
            { timeoutMs: slowMs + HANDSHAKE_TIMEOUT_MS },
          ),
        ),
      );
    } finally {
      proxy.slowMs = 0;
    }
    this.figures.concurrentFloodPeakChecks = proxy.maxTokenChecksInFlight;
    this.figures.concurrentFloodSize = count;
  }

  /**
   * Many valid handshakes of one user at once, each socket kept open until all are done: at
   * most the cap get in, the rest 429.
   */
  async oneUserCrowd(count: number): Promise<void> {
    const u = this.ctx.users();
    const url = `ws://127.0.0.1:${this.ctx.port}`;
    const results = await Promise.all(
      Array.from({ length: count }, () =>
        ImSocket.open(url, { sendID: u.userID, token: u.token, platformID: PLATFORM_ID }, HANDSHAKE_TIMEOUT_MS).then(
          (s) => ({ s, refusal: undefined }),
          (err: unknown) => ({ s: undefined, refusal: String(err) }),
        ),
      ),
    );
    const admitted = results.filter((r) => r.s !== undefined).length;
    this.figures.handshakes += count;
    for (const r of results) {
      const key = r.s ? '101' : (/HTTP (\d{3})/.exec(r.refusal ?? '')?.[1] ?? 'error');
      this.figures.byStatus[key] = (this.figures.byStatus[key] ?? 0) + 1;
      if (!r.s && !/HTTP 429/.test(r.refusal ?? '')) {
        this.ctx.findings.add('handshake', 'a concurrent valid handshake of one user refused other than 429', `${count} at once for ${u.userID}`, r.refusal ?? '');
      }
    }
    if (admitted > this.ctx.maxConnsPerUser || admitted === 0) {
      this.ctx.findings.add(
        'handshake',
        `${admitted} of ${count} concurrent valid handshakes of one user admitted (cap ${this.ctx.maxConnsPerUser})`,
        `${count} at once for ${u.userID}`,
        `${admitted} sockets open`,
      );
    }
    for (const r of results) r.s?.terminate();
  }
}
