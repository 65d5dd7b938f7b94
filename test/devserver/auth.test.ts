import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthService } from '../../src/devserver/auth/auth-service.ts';
import { parseToken, signToken } from '../../src/devserver/auth/jwt.ts';
import { ImError } from '../../src/devserver/protocol/im-error-codes.ts';

const SECRET = 'openIM123';
const NOW = 1_800_000_000_000;
const T = NOW / 1000;

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A token built by hand, so that every part can be wrong. */
function forge(header: unknown, claims: unknown, opts: { alg?: string; secret?: string; signature?: string } = {}): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[opts.alg ?? 'HS256'] ?? 'sha256';
  const sig =
    opts.signature ??
    createHmac(hash, opts.secret ?? SECRET)
      .update(input)
      .digest('base64url');
  return `${input}.${sig}`;
}

function codeOf(token: string): number {
  try {
    parseToken(token, SECRET, NOW);
    return 0;
  } catch (err) {
    if (err instanceof ImError) return err.code;
    throw err;
  }
}

const HS256 = { alg: 'HS256', typ: 'JWT' };
const good = { UserID: 'u', PlatformID: 5, exp: T + 60, iat: T - 5 };

describe('parseToken verdicts (golang-jwt v4 + tokenverify)', () => {
  it('accepts what signToken makes, and HS384/HS512 with the same secret', async () => {
    const { token, exp } = await signToken(SECRET, 'u', 5, 60, NOW);
    expect(parseToken(token, SECRET, NOW)).toEqual({ userID: 'u', platformID: 5, exp, iat: T - 5, nbf: undefined });
    expect(codeOf(forge({ alg: 'HS512' }, good, { alg: 'HS512' }))).toBe(0);
    expect(codeOf(forge({ alg: 'HS384' }, good, { alg: 'HS384' }))).toBe(0);
  });

  it.each([
    ['two segments', 'a.b'],
    ['four segments', 'a.b.c.d'],
    ['header not base64url', `$$$.${b64(good)}.sig`],
    ['header not JSON', `${b64('nope')}.${b64(good)}.sig`],
    ['claims not JSON', `${b64(HS256)}.${b64('{')}.sig`],
    ['claims an array', `${b64(HS256)}.${b64([1])}.sig`],
    ['UserID a number', forge(HS256, { ...good, UserID: 7 })],
    ['PlatformID a string', forge(HS256, { ...good, PlatformID: '5' })],
    ['PlatformID a fraction', forge(HS256, { ...good, PlatformID: 5.5 })],
    ['exp a word', forge(HS256, { ...good, exp: 'soon' })],
    ['aud a number', forge(HS256, { ...good, aud: 1 })],
  ])('malformed (1503): %s', (_name, token) => {
    expect(codeOf(token)).toBe(1503);
  });

  it.each([
    ['no alg', forge({ typ: 'JWT' }, good)],
    ['unknown alg', forge({ alg: 'XX1' }, good)],
    ['alg none', forge({ alg: 'none' }, good, { signature: '' })],
    ['RS256 with a shared secret', forge({ alg: 'RS256' }, good)],
    ['wrong secret', forge(HS256, good, { secret: 'other' })],
    ['signature not base64url', forge(HS256, good, { signature: '***' })],
    ['iat in the future', forge(HS256, { ...good, iat: T + 10 })],
  ])('unknown (1505): %s', (_name, token) => {
    expect(codeOf(token)).toBe(1505);
  });

  it('expired (1501) wins over a bad signature and a future nbf; nbf (1504) over a bad signature', () => {
    expect(codeOf(forge(HS256, { ...good, exp: T }))).toBe(1501);
    expect(codeOf(forge(HS256, { ...good, exp: T - 1 }, { secret: 'x' }))).toBe(1501);
    expect(codeOf(forge(HS256, { ...good, exp: T - 1, nbf: T + 1 }))).toBe(1501);
    expect(codeOf(forge(HS256, { ...good, nbf: T + 1 }, { secret: 'x' }))).toBe(1504);
  });

  it('reads claims as Go does: case-insensitive names, numeric-string dates, null as absent', () => {
    const claims = parseToken(forge(HS256, { userid: 'v', platformid: 2, EXP: String(T + 5), iat: null }), SECRET, NOW);
    expect(claims).toEqual({ userID: 'v', platformID: 2, exp: T + 5, iat: undefined, nbf: undefined });
    // no exp at all is not required by the parser
    expect(codeOf(forge(HS256, { UserID: 'u', PlatformID: 5 }))).toBe(0);
  });
});

describe('AuthService token map', () => {
  let now = NOW;
  const auth = new AuthService({ secret: SECRET, tokenTtlSeconds: 100, adminUserIDs: ['imAdmin'], now: () => now });
  const code = (token: string) => {
    try {
      auth.parse(token);
      return 0;
    } catch (err) {
      return (err as ImError).code;
    }
  };

  it('admin tokens skip the map; user tokens must be in it', async () => {
    const admin = await auth.createToken('imAdmin', 10);
    expect(code(admin.token)).toBe(0);
    expect(code(forge(HS256, good))).toBe(1507);
  });

  it('same platform: issue kicks the previous, forgets older kicked and expired ones', async () => {
    const a = (await auth.createToken('u1', 5)).token;
    now += 1000;
    const b = (await auth.createToken('u1', 5)).token;
    expect([code(a), code(b)]).toEqual([1506, 0]);
    now += 1000;
    const c = (await auth.createToken('u1', 5)).token;
    expect([code(a), code(b), code(c)]).toEqual([1507, 1506, 0]);
    const short = (await auth.createToken('u2', 5, 1)).token;
    now += 2000;
    expect(code(short)).toBe(1501);
    await auth.createToken('u2', 5);
    // still expired by its own claims first
    expect(code(short)).toBe(1501);
  });

  it('kickAllBut and kickAll', async () => {
    const web = (await auth.createToken('u3', 5)).token;
    const ios = (await auth.createToken('u3', 1)).token;
    auth.tokens.kickAllBut('u3', 5, web);
    expect([code(web), code(ios)]).toEqual([0, 0]);
    auth.tokens.kickAll('u3', 5);
    expect([code(web), code(ios)]).toEqual([1506, 0]);
  });
});
