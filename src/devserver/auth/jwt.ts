/**
 * The IM's tokens (docs/im-server.md#issuing-tokens): HS256 JWTs with claims `UserID`, `PlatformID`, `exp`,
 * `iat` (issue time minus 5 s), signed with the UTF-8 bytes of the shared secret.
 *
 * Parsing reproduces the verdicts of the real server's parser (golang-jwt v4 behind
 * openimsdk/tools `tokenverify`), including its order: a token that cannot be decoded is
 * malformed (1503) whatever else is wrong; otherwise every claim is checked *and* the
 * signature, and the most specific failure wins: expired (1501), then not valid yet
 * (1504), then anything else — bad signature, `iat` in the future, an algorithm it does
 * not know — (1505). So an expired token with a bad signature is 1501 here, as there.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';
import { ImError } from '../protocol/im-error-codes.ts';

export interface TokenClaims {
  userID: string;
  platformID: number;
  /** Unix seconds; the real parser accepts fractions. */
  exp: number | undefined;
  iat: number | undefined;
  nbf: number | undefined;
}

/** The real server subtracts this from `iat` so that slightly slow clocks accept new tokens. */
const IAT_BACKDATE_SECONDS = 5;

export async function signToken(secret: string, userID: string, platformID: number, ttlSeconds: number, nowMs: number): Promise<{ token: string; exp: number }> {
  const now = Math.floor(nowMs / 1000);
  const exp = now + ttlSeconds;
  const token = await new SignJWT({ UserID: userID, PlatformID: platformID })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(exp)
    .setIssuedAt(now - IAT_BACKDATE_SECONDS)
    .sign(new TextEncoder().encode(secret));
  return { token, exp };
}

/** golang-jwt's method names; those it knows but cannot verify with a shared secret fail as 1505. */
const HMAC_ALGS: Readonly<Record<string, string>> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const OTHER_KNOWN_ALGS = new Set(['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'none']);

class Malformed extends Error {}

/** base64url as golang-jwt v4 decodes a segment: padding optional, alphabet strict. */
function decodeSegment(segment: string): Buffer {
  const padded = segment.length % 4 === 0 ? segment : segment + '='.repeat(4 - (segment.length % 4));
  if (segment.length % 4 === 1 || !/^[A-Za-z0-9_-]*={0,2}$/.test(padded)) throw new Malformed('illegal base64 data');
  return Buffer.from(padded, 'base64url');
}

function decodeJson(segment: string): unknown {
  const text = decodeSegment(segment).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Malformed('invalid JSON');
  }
}

/** Go's encoding/json key matching: an exact name first, otherwise any case-insensitive match. */
function goField(obj: Record<string, unknown>, name: string): unknown {
  let found: unknown;
  for (const [key, value] of Object.entries(obj)) {
    if (key === name) return value;
    if (key.toLowerCase() === name.toLowerCase()) found = value;
  }
  return found;
}

const NUMERIC_STRING = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

function numericDate(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  // json.Number, which NumericDate decodes through, also takes a numeric string.
  if (typeof v === 'string' && NUMERIC_STRING.test(v)) return Number(v);
  throw new Malformed('date claim is not a number');
}

function optionalString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Malformed('claim is not a string');
  return v;
}

function decodeClaims(json: unknown): TokenClaims {
  if (json === null) return { userID: '', platformID: 0, exp: undefined, iat: undefined, nbf: undefined };
  if (typeof json !== 'object' || Array.isArray(json)) throw new Malformed('claims are not an object');
  const obj = json as Record<string, unknown>;
  const platform = goField(obj, 'PlatformID');
  if (platform !== undefined && platform !== null && !(typeof platform === 'number' && Number.isSafeInteger(platform))) {
    throw new Malformed('PlatformID is not an int');
  }
  for (const key of ['iss', 'sub', 'jti']) optionalString(goField(obj, key));
  const aud = goField(obj, 'aud');
  if (aud !== undefined && aud !== null && typeof aud !== 'string') {
    if (!Array.isArray(aud) || aud.some((a) => typeof a !== 'string')) throw new Malformed('aud is not a string list');
  }
  return {
    userID: optionalString(goField(obj, 'UserID')) ?? '',
    platformID: typeof platform === 'number' ? platform : 0,
    exp: numericDate(goField(obj, 'exp')),
    iat: numericDate(goField(obj, 'iat')),
    nbf: numericDate(goField(obj, 'nbf')),
  };
}

function signatureValid(alg: string, signingInput: string, signature: string, secret: string): boolean {
  const hash = HMAC_ALGS[alg];
  if (hash === undefined) return false; // a shared secret is the wrong key type for it
  let given: Buffer;
  try {
    given = decodeSegment(signature);
  } catch {
    return false;
  }
  const expected = createHmac(hash, secret).update(signingInput).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Returns the claims of a token the real parser would accept, or throws the ImError it would produce. */
export function parseToken(token: string, secret: string, nowMs: number): TokenClaims {
  const parts = token.split('.');
  let claims: TokenClaims;
  let alg: unknown;
  try {
    if (parts.length !== 3) throw new Malformed('token contains an invalid number of segments');
    const header = decodeJson(parts[0] ?? '');
    if (header !== null && (typeof header !== 'object' || Array.isArray(header))) throw new Malformed('header is not an object');
    claims = decodeClaims(decodeJson(parts[1] ?? ''));
    alg = header === null ? undefined : (header as Record<string, unknown>)['alg'];
  } catch (err) {
    if (err instanceof Malformed) throw new ImError('TokenMalformedError', `jwt parse error: ${err.message}`);
    throw err;
  }
  if (typeof alg !== 'string') throw new ImError('TokenUnknownError', 'signing method (alg) is unspecified.');
  if (HMAC_ALGS[alg] === undefined && !OTHER_KNOWN_ALGS.has(alg)) {
    throw new ImError('TokenUnknownError', 'signing method (alg) is unavailable.');
  }

  const now = nowMs / 1000;
  const expired = claims.exp !== undefined && !(now < claims.exp);
  const notValidYet = claims.nbf !== undefined && now < claims.nbf;
  const usedBeforeIssued = claims.iat !== undefined && now < claims.iat;
  const badSignature = !signatureValid(alg, `${parts[0]}.${parts[1]}`, parts[2] ?? '', secret);

  if (expired) throw new ImError('TokenExpiredError', 'jwt parse error: token is expired');
  if (notValidYet) throw new ImError('TokenNotValidYetError', 'jwt parse error: token is not valid yet');
  if (usedBeforeIssued) throw new ImError('TokenUnknownError', 'token used before issued');
  if (badSignature) throw new ImError('TokenUnknownError', 'signature is invalid');
  return claims;
}
