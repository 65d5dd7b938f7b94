import { CompactSign, FlattenedSign, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { JwtTokenVerifier } from '../../src/auth/jwt-verifier.ts';

const SECRET = 'openIM123';
const NOW_S = 1_900_000_000;
const DAY = 86_400;
const alice = { userID: 'alice', platformID: 5 };

function verifier(secret = SECRET): JwtTokenVerifier {
  return new JwtTokenVerifier({ secret, now: () => NOW_S * 1000 });
}

/** Claims as the IM issues them (docs/im-server.md#issuing-tokens; some server versions add nbf = iat − 5 min). */
function imClaims(over: Record<string, unknown> = {}): JWTPayload {
  return { UserID: 'alice', PlatformID: 5, exp: NOW_S + 90 * DAY, iat: NOW_S - 5, ...over };
}

async function sign(claims: JWTPayload, opts: { secret?: string; alg?: string } = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

describe('JwtTokenVerifier', () => {
  it('accepts a token shaped like the IM issues, with its expiry in ms', async () => {
    const token = await sign(imClaims());
    expect(await verifier().verify(token, alice, 'op')).toEqual({ ok: true, expiresAt: (NOW_S + 90 * DAY) * 1000 });
  });

  it('accepts the variant with nbf five minutes back', async () => {
    const token = await sign(imClaims({ iat: NOW_S, nbf: NOW_S - 300 }));
    expect((await verifier().verify(token, alice, 'op')).ok).toBe(true);
  });

  it('rejects an expired token with 1501', async () => {
    const token = await sign(imClaims({ exp: NOW_S - 1 }));
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ ok: false, status: 401, errCode: 1501 });
    const onTheSecond = await sign(imClaims({ exp: NOW_S }));
    expect(await verifier().verify(onTheSecond, alice, 'op')).toMatchObject({ errCode: 1501 });
  });

  it('prefers "expired" over "not valid yet", as the IM does', async () => {
    const token = await sign(imClaims({ exp: NOW_S - 1, nbf: NOW_S + 3600 }));
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ errCode: 1501 });
  });

  it('rejects a token not valid yet with 1504, tolerating small clock differences', async () => {
    const later = await sign(imClaims({ nbf: NOW_S + 3600 }));
    expect(await verifier().verify(later, alice, 'op')).toMatchObject({ ok: false, status: 401, errCode: 1504 });
    const slightlyAhead = await sign(imClaims({ nbf: NOW_S + 10, iat: NOW_S + 10 }));
    expect((await verifier().verify(slightlyAhead, alice, 'op')).ok).toBe(true);
  });

  it('rejects a token issued in the future with 1505', async () => {
    const token = await sign(imClaims({ iat: NOW_S + 3600 }));
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ ok: false, status: 401, errCode: 1505 });
  });

  it('rejects a token signed with another secret with 1505', async () => {
    const token = await sign(imClaims(), { secret: 'not-the-secret' });
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ ok: false, status: 401, errCode: 1505 });
  });

  it('checks the signature before the claims', async () => {
    const token = await sign(imClaims({ exp: NOW_S - 1 }), { secret: 'not-the-secret' });
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ errCode: 1505 });
  });

  it.each(['HS384', 'HS512'])('rejects %s even with the right secret', async (alg) => {
    const token = await sign(imClaims(), { alg });
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ ok: false, status: 401, errCode: 1505 });
  });

  it('rejects alg "none"', async () => {
    const token = new UnsecuredJWT(imClaims()).encode();
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ ok: false, status: 401, errCode: 1505 });
  });

  it.each([
    ['bob', 5],
    ['alice', 6],
    ['Alice', 5],
  ])('rejects a token for another user/platform (%s, %d) with 1502', async (UserID, PlatformID) => {
    const token = await sign(imClaims({ UserID, PlatformID }));
    const verdict = await verifier().verify(token, alice, 'op');
    expect(verdict).toMatchObject({ ok: false, status: 401, errCode: 1502 });
  });

  it('treats missing UserID/PlatformID as empty, hence not the expected owner (1502)', async () => {
    const claims = imClaims();
    delete claims['UserID'];
    delete claims['PlatformID'];
    expect(await verifier().verify(await sign(claims), alice, 'op')).toMatchObject({ errCode: 1502 });
  });

  it('rejects lower-case claim names: the IM writes Go field names', async () => {
    const token = await sign({ userID: 'alice', platformID: 5, exp: NOW_S + DAY });
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ errCode: 1502 });
  });

  it.each([
    ['UserID', 42],
    ['PlatformID', '5'],
    ['PlatformID', 5.5],
    ['exp', 'tomorrow'],
    ['nbf', true],
  ])('rejects %s of the wrong JSON type as malformed (1503)', async (claim, value) => {
    const token = await sign(imClaims({ [claim]: value }));
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ ok: false, status: 401, errCode: 1503 });
  });

  it('requires exp', async () => {
    const claims = imClaims();
    delete claims.exp;
    expect(await verifier().verify(await sign(claims), alice, 'op')).toMatchObject({ errCode: 1505 });
  });

  it.each(['', 'abc', 'a.b', 'a.b.c', 'a.b.c.d', 'eyJhbGciOiJIUzI1NiJ9.e30'])('rejects %j as malformed (1503)', async (token) => {
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ ok: false, status: 401, errCode: 1503 });
  });

  it('rejects a payload that is not a JSON object as malformed (1503)', async () => {
    const token = await new CompactSign(new TextEncoder().encode('[1,2]')).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ errCode: 1503 });
  });

  it('does not look inside an unsigned payload: bad signature wins over bad payload (1505)', async () => {
    expect(await verifier().verify('eyJhbGciOiJIUzI1NiJ9.!!!.abc', alice, 'op')).toMatchObject({ errCode: 1505 });
  });

  it('rejects an unencoded (b64: false) payload as malformed', async () => {
    const payload = JSON.stringify(imClaims());
    const jws = await new FlattenedSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: 'HS256', b64: false, crit: ['b64'] })
      .sign(new TextEncoder().encode(SECRET));
    // jose leaves an unencoded payload out of its result; the compact form carries it raw.
    const token = `${jws.protected ?? ''}.${payload}.${jws.signature}`;
    expect(await verifier().verify(token, alice, 'op')).toMatchObject({ ok: false, status: 401, errCode: 1503 });
  });

  it('uses the real clock by default', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const token = await sign(imClaims({ exp: nowS + DAY, iat: nowS - 5 }));
    expect((await new JwtTokenVerifier({ secret: SECRET }).verify(token, alice, 'op')).ok).toBe(true);
  });

  it('refuses an empty secret up front', () => {
    expect(() => new JwtTokenVerifier({ secret: '' })).toThrow(RangeError);
  });
});
