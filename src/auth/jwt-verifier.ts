/**
 * Verifies OpenIM tokens locally with the IM server's `share.secret`, no HTTP call,
 * as the IM server issues them (HS256 JWTs with claims `UserID`, `PlatformID`,
 * `exp`, `iat` and, from some server versions, `nbf`).
 *
 * Claim checks follow the IM's own parser (golang-jwt v4 RegisteredClaims): a claim of
 * the wrong JSON type is "malformed" (1503, Go fails to decode it); `exp` reached is
 * 1501, `nbf` in the future 1504, `iat` in the future 1505; when several fail, expired
 * wins over not-valid-yet, as in the IM.
 *
 * Deliberate differences from the IM:
 * - the signature is checked before the claims, so an expired token with a bad
 *   signature is 1505 here (1501 there): unsigned claims are not worth reporting on;
 * - only HS256 is accepted (the IM would take any HMAC alg the secret fits);
 * - `exp` is required: the IM always issues it, and a verdict needs an expiry;
 * - `iat`/`nbf` get a small clock tolerance, because this process does not share the
 *   IM's clock and the IM sets `iat` to the moment of issue.
 *
 * What this mode cannot see: tokens the IM has kicked (1506) or no longer knows (1507).
 */
import { compactVerify, errors } from 'jose';
import { checkTokenOwner, TokenErrCode, tokenRejected, type TokenExpectation, type TokenVerdict, type TokenVerifier } from './token-verifier.ts';
import { errorText } from '../shared/error-text.ts';

export interface JwtVerifierOptions {
  /** The IM server's `share.secret` (default there: `openIM123`). */
  secret: string;
  /** Allowed lead of the IM's clock over ours, for `iat` and `nbf`. Default 30 s. */
  clockToleranceSeconds?: number;
  /** Epoch ms; for tests. */
  now?: () => number;
}

const ALGORITHM = 'HS256';
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

interface Claims {
  userID: string;
  platformID: number;
  exp: number | undefined;
  iat: number | undefined;
  nbf: number | undefined;
}

function isNumericDate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** `undefined` = the payload would not decode into the IM's Claims struct. */
function decodeClaims(payload: Uint8Array): Claims | undefined {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { UserID, PlatformID, exp, iat, nbf } = json as Record<string, unknown>;
  // Absent claims decode to Go zero values and then fail the owner check, as in the IM.
  if (UserID !== undefined && UserID !== null && typeof UserID !== 'string') return undefined;
  if (PlatformID !== undefined && PlatformID !== null && !(typeof PlatformID === 'number' && Number.isInteger(PlatformID))) {
    return undefined;
  }
  for (const date of [exp, iat, nbf]) {
    if (date !== undefined && date !== null && !isNumericDate(date)) return undefined;
  }
  return {
    userID: typeof UserID === 'string' ? UserID : '',
    platformID: typeof PlatformID === 'number' ? PlatformID : 0,
    exp: isNumericDate(exp) ? exp : undefined,
    iat: isNumericDate(iat) ? iat : undefined,
    nbf: isNumericDate(nbf) ? nbf : undefined,
  };
}

function rejectionFor(err: unknown): TokenVerdict {
  if (err instanceof errors.JWSInvalid) return tokenRejected(TokenErrCode.malformed, err.message);
  if (err instanceof errors.JOSEAlgNotAllowed) return tokenRejected(TokenErrCode.unknown, `only ${ALGORITHM} tokens are accepted`);
  if (err instanceof errors.JWSSignatureVerificationFailed) return tokenRejected(TokenErrCode.unknown, 'signature verification failed');
  // Whatever else a token can make jose throw (crit headers, unsupported options), it
  // is still a token we cannot accept, and retrying will not change that.
  return tokenRejected(TokenErrCode.unknown, errorText(err));
}

export class JwtTokenVerifier implements TokenVerifier {
  private readonly key: Promise<CryptoKey>;
  private readonly toleranceMs: number;
  private readonly now: () => number;

  constructor(options: JwtVerifierOptions) {
    if (options.secret === '') throw new RangeError('JwtTokenVerifier needs a non-empty secret');
    // Imported once; passing raw bytes would make jose import the key on every verify.
    this.key = crypto.subtle.importKey('raw', new TextEncoder().encode(options.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    this.toleranceMs = (options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS) * 1000;
    this.now = options.now ?? Date.now;
  }

  async verify(token: string, expect: TokenExpectation, _operationID: string): Promise<TokenVerdict> {
    let payload: Uint8Array;
    try {
      const verified = await compactVerify(token, await this.key, { algorithms: [ALGORITHM] });
      if (verified.protectedHeader.b64 === false) return tokenRejected(TokenErrCode.malformed, 'unencoded JWT payload');
      payload = verified.payload;
    } catch (err) {
      return rejectionFor(err);
    }

    const claims = decodeClaims(payload);
    if (claims === undefined) return tokenRejected(TokenErrCode.malformed, "claims are not the IM's UserID/PlatformID/exp/iat/nbf");
    if (claims.exp === undefined) return tokenRejected(TokenErrCode.unknown, 'token has no exp claim');

    const now = this.now();
    const expiresAt = claims.exp * 1000;
    if (now >= expiresAt) return tokenRejected(TokenErrCode.expired);
    if (claims.nbf !== undefined && now + this.toleranceMs < claims.nbf * 1000) return tokenRejected(TokenErrCode.notValidYet);
    if (claims.iat !== undefined && now + this.toleranceMs < claims.iat * 1000) {
      return tokenRejected(TokenErrCode.unknown, 'token issued in the future');
    }

    return checkTokenOwner(claims, expect) ?? { ok: true, expiresAt };
  }
}
