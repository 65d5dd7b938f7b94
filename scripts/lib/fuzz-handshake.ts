/**
 * Handshake fuzzing: WebSocket upgrade requests with arbitrary query strings, each written
 * raw on a TCP socket and judged on the HTTP status that comes back.
 *
 * A generated case starts from a valid handshake (sendID, token, platformID, maybe
 * operationID) and is then edited: parameters dropped, duplicated, emptied, renamed,
 * junk added, odd platform IDs, unicode and huge values, tokens the fake IM refuses or
 * cannot check. For such cases the README's handshake rules give the exact status:
 *
 *   a required parameter missing, empty or given twice, operationID twice, platformID
 *   not 1–11 in plain decimal → 400; the user+platform already at --max-conns-per-user
 *   → 429; token refused by the IM → 401; IM unusable → 503; otherwise → 101.
 *   A request head above Node's 16 KiB header limit is refused by Node itself (431).
 *
 * Cases with a raw tail (arbitrary unencoded text appended to the query) may be anything,
 * but must still get one of those statuses, promptly, and a JSON refusal body when the
 * gateway (rather than Node's HTTP parser) refused.
 */
import { AUTH_LIMITS } from '../../src/auth/auth-limits.ts';
import fc from 'fast-check';
import { okToken } from './fake-im.ts';
import type { Findings } from './findings.ts';
import { rawHandshake, type HandshakeOutcome } from './raw-handshake.ts';

export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Node's default --max-http-header-size, which covers the request line too. */
const NODE_MAX_HEADER_BYTES = 16 * 1024;
/** Near the limit, whether Node counts a request as too big depends on details it does not document. */
const HEADER_LIMIT_SLACK = 512;
/** Statuses a handshake may get at all. */
const PROPER_STATUSES: ReadonlySet<number> = new Set([101, 400, 401, 429, 431, 503]);
/** Also possible for raw tails: a CR LF in the tail can end the request early (a plain GET → 404). */
const PROPER_FOR_RAW: ReadonlySet<number> = new Set([...PROPER_STATUSES, 404]);

export type TokenKind = 'valid' | 'other-user' | 'other-platform' | 'unknown' | 'kicked' | 'im-down' | 'im-garbage';

type ParamName = 'sendID' | 'token' | 'platformID' | 'operationID';

export type Edit =
  | { op: 'drop'; name: ParamName }
  | { op: 'dup'; name: ParamName; value: string | null }
  | { op: 'empty'; name: ParamName }
  | { op: 'bare'; name: ParamName }
  | { op: 'rename'; name: ParamName; to: string }
  | { op: 'junk'; name: string; value: string };

export interface HandshakeCase {
  path: '/' | '/ws' | '/openim/ws' | '/healthz' | '//x' | 'absolute' | '';
  /** '' stays empty; anything else gets a unique suffix so each case is a new user. */
  userID: string;
  /** Use the user whose sockets are already at the limit (expects 429). */
  crowd: boolean;
  platform: string;
  tokenKind: TokenKind;
  operationID: string | undefined;
  order: ParamName[];
  edits: Edit[];
  /** Raw text appended to the query, unencoded. */
  rawTail: string | undefined;
}

export interface HandshakeContext {
  port: number;
  /** The user+platform held at the connection limit. */
  crowd: { userID: string; platformID: number };
  /** Base URL of the fake IM, which a refusal body must not reveal. */
  imUrl: string;
}

/** No lone surrogates: those cannot be percent-encoded, so no client could send them. */
const wellFormed = (s: string): boolean => !/[\uD800-\uDFFF]/u.test(s);

const userIDs = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter(wellFormed) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 9000 }).map((n) => 'u'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant('') },
);

const platforms = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 11 }).map(String) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('0', '12', '-1', '05', '5.0', ' 5', '5 ', '+5', '0x5', '1e1', '５', '٥', '99', '100', '', '5\u0000', 'NaN', 'Infinity', '011'),
  },
  { weight: 1, arbitrary: fc.integer({ min: -1e9, max: 1e12 }).map(String) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

const operationIDs = fc.option(
  fc.oneof(
    { weight: 5, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }).filter(wellFormed) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 16 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => 'o'.repeat(n)) },
  ),
  { nil: undefined, freq: 4 },
);

const paramName = fc.constantFrom<ParamName>('sendID', 'token', 'platformID', 'operationID');
const someValue = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 }));

const edits = fc.array(
  fc.oneof(
    paramName.map((name): Edit => ({ op: 'drop', name })),
    fc.record({ name: paramName, value: fc.option(someValue, { nil: null }) }).map(({ name, value }): Edit => ({ op: 'dup', name, value })),
    paramName.map((name): Edit => ({ op: 'empty', name })),
    paramName.map((name): Edit => ({ op: 'bare', name })),
    fc
      .record({ name: paramName, variant: fc.nat(4) })
      .map(({ name, variant }): Edit => ({ op: 'rename', name, to: [name.toLowerCase(), name.toUpperCase(), ` ${name}`, `${name} `, `${name}[]`][variant] as string })),
    fc
      .record({ name: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('userID', 'sendId', 'platform', 'token2')), value: someValue })
      .map(({ name, value }): Edit => ({ op: 'junk', name, value })),
  ),
  { maxLength: 3 },
);

export const handshakeArbitrary: fc.Arbitrary<HandshakeCase> = fc.record({
  path: fc.constantFrom<HandshakeCase['path']>('/', '/', '/', '/ws', '/openim/ws', '/healthz', '//x', 'absolute', ''),
  userID: userIDs,
  crowd: fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  platform: platforms,
  tokenKind: fc.oneof(
    { weight: 6, arbitrary: fc.constant<TokenKind>('valid') },
    { weight: 3, arbitrary: fc.constantFrom<TokenKind>('other-user', 'other-platform', 'unknown', 'kicked', 'im-down', 'im-garbage') },
  ),
  operationID: operationIDs,
  order: fc.shuffledSubarray<ParamName>(['sendID', 'token', 'platformID', 'operationID'], { minLength: 4, maxLength: 4 }),
  edits: fc.oneof({ weight: 3, arbitrary: fc.constant<Edit[]>([]) }, { weight: 2, arbitrary: edits }),
  rawTail: fc.option(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }),
      fc.constantFrom('%', '%zz', '%E4%BD', '#frag', 'a=%', '&&&', '==', 'sendID', 'token=', ' HTTP/1.1', '\r\nX: y', '\u0000'),
    ),
    { nil: undefined, freq: 6 },
  ),
});

interface Param {
  name: string;
  value: string;
  /** Written without `=` (URLSearchParams reads the value as ""). */
  bare: boolean;
}

export interface RenderedHandshake {
  target: Buffer;
  /** The parameters as the gateway will read them (names and values decoded). */
  params: Param[];
}

function tokenFor(kind: TokenKind, userID: string, platformID: number): string {
  switch (kind) {
    case 'valid':
      return okToken(userID, platformID);
    case 'other-user':
      return okToken(`${userID}-not`, platformID);
    case 'other-platform':
      return okToken(userID, (platformID % 11) + 1);
    case 'unknown':
      return `zz${Buffer.from(userID).toString('hex').slice(0, 12)}`;
    case 'kicked':
      return 'kicked.x';
    case 'im-down':
      return 'down.x';
    case 'im-garbage':
      return 'garbage.x';
  }
}

/** `n` makes the user unique, so no two cases share a session or a cached token verdict. */
export function renderHandshake(c: HandshakeCase, n: number, ctx: HandshakeContext): RenderedHandshake {
  const platformID = /^(?:[1-9]|1[01])$/.test(c.platform) ? Number(c.platform) : 5;
  const crowd = c.crowd;
  const sendID = crowd ? ctx.crowd.userID : c.userID === '' ? '' : `${c.userID}~${n}`;
  const platform = crowd ? String(ctx.crowd.platformID) : c.platform;
  const values: Record<ParamName, string | undefined> = {
    sendID,
    token: tokenFor(c.tokenKind, sendID, crowd ? ctx.crowd.platformID : platformID),
    platformID: platform,
    operationID: c.operationID,
  };
  let params: Param[] = c.order.filter((name) => values[name] !== undefined).map((name) => ({ name, value: values[name] as string, bare: false }));
  for (const e of c.edits) {
    switch (e.op) {
      case 'drop':
        params = params.filter((p) => p.name !== e.name);
        break;
      case 'dup': {
        const first = params.find((p) => p.name === e.name);
        params.push({ name: e.name, value: e.value ?? first?.value ?? 'x', bare: false });
        break;
      }
      case 'empty':
        params = params.map((p) => (p.name === e.name ? { ...p, value: '' } : p));
        break;
      case 'bare':
        params = params.map((p) => (p.name === e.name ? { ...p, value: '', bare: true } : p));
        break;
      case 'rename':
        params = params.map((p) => (p.name === e.name ? { ...p, name: e.to } : p));
        break;
      case 'junk':
        params.push({ name: e.name, value: e.value, bare: false });
        break;
    }
  }
  const query = params.map((p) => (p.bare ? encodeURIComponent(p.name) : `${encodeURIComponent(p.name)}=${encodeURIComponent(p.value)}`)).join('&');
  const path = c.path === 'absolute' ? `http://127.0.0.1:${ctx.port}/` : c.path === '' ? '/' : c.path;
  const head = Buffer.from(`${path}?${query}`);
  const target = c.rawTail === undefined ? head : Buffer.concat([head, Buffer.from(`&${c.rawTail}`)]);
  return { target, params };
}

/** A parameter given more than once (a symbol: any string could be a parameter's value). */
const REPEATED = Symbol('repeated');

/** The status the README's rules give for a case without a raw tail. */
export function expectedStatus(c: HandshakeCase, r: RenderedHandshake, ctx: HandshakeContext): number {
  const single = (name: ParamName): string | undefined | typeof REPEATED => {
    const all = r.params.filter((p) => p.name === name);
    return all.length > 1 ? REPEATED : all[0]?.value;
  };
  for (const name of ['sendID', 'token', 'platformID'] as const) {
    const v = single(name);
    if (v === undefined || v === REPEATED || v === '') return 400;
  }
  const operationID = single('operationID');
  if (operationID === REPEATED) return 400;
  const sendID = single('sendID') as string;
  const token = single('token') as string;
  if (token.length > AUTH_LIMITS.tokenChars) return 400;
  if (Buffer.byteLength(sendID, 'utf8') > AUTH_LIMITS.userIDBytes) return 400;
  if (operationID !== undefined && operationID.length > AUTH_LIMITS.operationIDChars) return 400;
  const platform = single('platformID') as string;
  if (!/^(?:[1-9]|1[01])$/.test(platform)) return 400;
  // The token is checked before the connection cap: only a verified handshake learns of, or takes, a place.
  if (token.startsWith('down.') || token.startsWith('garbage.')) return 503;
  if (token !== okToken(sendID, Number(platform))) return 401;
  if (sendID === ctx.crowd.userID && Number(platform) === ctx.crowd.platformID) return 429;
  return 101;
}

/** Bytes of the request head rawHandshake writes for this target (request line + headers). */
function headBytes(target: Buffer, port: number): number {
  return target.length + 170 + String(port).length;
}

/**
 * The gateway's errMsg without what varies per input (addresses, quoted values, numbers),
 * so that one root cause makes one finding.
 */
function refusalReason(body: string, imUrl: string): string {
  let errMsg: unknown;
  try {
    errMsg = (JSON.parse(body) as { errMsg?: unknown }).errMsg;
  } catch {
    return '';
  }
  if (typeof errMsg !== 'string' || errMsg === '') return '';
  // Up to the first quote: what follows often quotes the input, with quotes of its own.
  const reason = (errMsg.split('"')[0] as string).replaceAll(imUrl, '<IM>').replace(/\d+/g, 'N');
  return ` — ${reason.slice(0, 140)}`;
}

export function showTarget(target: Buffer): string {
  const text = target.toString('utf8');
  return text.length > 300 ? `${JSON.stringify(text.slice(0, 300))}… (${target.length} bytes)` : JSON.stringify(text);
}

export function showOutcome(o: HandshakeOutcome): string {
  if (o.kind === 'status') return `HTTP ${o.status} after ${o.ms.toFixed(0)} ms ${o.body.slice(0, 400)}`;
  if (o.kind === 'timeout') return `no status line after ${o.ms.toFixed(0)} ms (got ${JSON.stringify(o.received)})`;
  return `no HTTP answer: ${o.error} (got ${JSON.stringify(o.received)})`;
}

export interface HandshakeStats {
  handshakes: number;
  byStatus: Record<string, number>;
}

/** Runs one case against the gateway and records what is wrong with the answer. */
export async function checkHandshake(c: HandshakeCase, n: number, ctx: HandshakeContext, findings: Findings, stats: HandshakeStats): Promise<void> {
  const r = renderHandshake(c, n, ctx);
  const outcome = await rawHandshake(ctx.port, r.target, HANDSHAKE_TIMEOUT_MS);
  stats.handshakes++;
  const key = outcome.kind === 'status' ? String(outcome.status) : outcome.kind;
  stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
  const report = (problem: string, variant?: string): void => findings.add('handshake', problem, showTarget(r.target), showOutcome(outcome), variant);

  if (outcome.kind === 'timeout') return report(`no HTTP status within ${HANDSHAKE_TIMEOUT_MS} ms`);
  if (outcome.kind === 'no-answer') return report(`connection ended without an HTTP answer (${outcome.error})`);
  const { status, body } = outcome;
  const raw = c.rawTail !== undefined;
  if (!(raw ? PROPER_FOR_RAW : PROPER_STATUSES).has(status)) return report(`HTTP ${status}, not one of the handshake statuses`);

  const size = headBytes(r.target, ctx.port);
  if (!raw) {
    let expected = expectedStatus(c, r, ctx);
    if (size > NODE_MAX_HEADER_BYTES + HEADER_LIMIT_SLACK) expected = 431;
    const nearLimit = Math.abs(size - NODE_MAX_HEADER_BYTES) <= HEADER_LIMIT_SLACK;
    if (status !== expected && !(nearLimit && status === 431)) {
      report(`HTTP ${status} instead of the protocol's status${refusalReason(body, ctx.imUrl)}`, `expected ${expected}`);
    }
  }

  // A refusal by the gateway itself carries {errCode, errMsg}; Node's own parser errors do not.
  if (status === 101 || status === 431 || status === 404) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined) {
    // Node refuses request targets it cannot parse (control bytes, raw non-ASCII) with a bare 400.
    if (!(raw && status === 400)) report(`HTTP ${status} without a JSON {errCode, errMsg} body`);
    return;
  }
  const { errCode, errMsg } = parsed as { errCode?: unknown; errMsg?: unknown };
  if (typeof errCode !== 'number' || typeof errMsg !== 'string' || errMsg.trim() === '') {
    report(`HTTP ${status} body is not {errCode: number, errMsg: non-empty string}`);
    return;
  }
  if (status === 401 && !(errCode >= 1501 && errCode <= 1507)) report(`HTTP 401 with errCode ${errCode}, not an IM token error (1501–1507)`);
  if (status !== 401 && errCode !== status) report(`HTTP ${status} with errCode ${errCode}`);
  if (errMsg.includes(new URL(ctx.imUrl).host)) report(`HTTP ${status} refusal body reveals the IM server's address to the client`);
}
