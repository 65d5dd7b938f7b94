/**
 * Asks the IM server whether a token is good: `POST {api}/auth/parse_token`
 * (the IM's own token check). Unlike a local JWT check this also catches
 * tokens the IM has since kicked (1506) or never issued (1507).
 *
 * parse_token is on the IM's token-header whitelist, so no admin token is needed
 * there; only a non-empty operationID header is required.
 */
import { randomUUID } from 'node:crypto';
import { checkTokenOwner, isTokenErrCode, TOKEN_ERR_NAMES, verifierUnavailable, type TokenExpectation, type TokenVerdict, type TokenVerifier } from './token-verifier.ts';

export const PARSE_TOKEN_PATH = '/auth/parse_token';
export const DEFAULT_VERIFY_TIMEOUT_MS = 5000;

export interface OpenImVerifierOptions {
  /** The IM HTTP API base, e.g. `http://openim:10002`; a path prefix is kept. */
  apiBase: string;
  /** Covers connecting, the answer's headers and its body. */
  timeoutMs?: number;
}

interface Envelope {
  errCode: number;
  errMsg: string;
  data: unknown;
}

function readEnvelope(body: unknown): Envelope | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { errCode, errMsg, data } = body as Record<string, unknown>;
  if (typeof errCode !== 'number' || !Number.isInteger(errCode)) return undefined;
  return { errCode, errMsg: typeof errMsg === 'string' ? errMsg : '', data };
}

interface ParsedToken {
  userID: string;
  platformID: number;
  /** Absolute unix seconds here, unlike get_user_token's duration of the same name. */
  expireTimeSeconds: number;
}

function readParsedToken(data: unknown): ParsedToken | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { userID, platformID, expireTimeSeconds } = data as Record<string, unknown>;
  if (typeof userID !== 'string') return undefined;
  if (typeof platformID !== 'number' || !Number.isInteger(platformID)) return undefined;
  if (typeof expireTimeSeconds !== 'number' || !Number.isFinite(expireTimeSeconds)) return undefined;
  return { userID, platformID, expireTimeSeconds };
}

function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  if (err instanceof Error) {
    // fetch reports every network failure as TypeError("fetch failed"); the useful
    // part (ECONNREFUSED, ENOTFOUND, …) is in the cause.
    const cause = err.cause;
    if (cause instanceof Error) {
      const code = (cause as NodeJS.ErrnoException).code;
      return code !== undefined ? `${code} ${cause.message}` : cause.message;
    }
    return err.message;
  }
  return String(err);
}

export class OpenImTokenVerifier implements TokenVerifier {
  readonly endpoint: string;
  readonly timeoutMs: number;

  constructor(options: OpenImVerifierOptions) {
    this.endpoint = options.apiBase.replace(/\/+$/, '') + PARSE_TOKEN_PATH;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  }

  /**
   * Never throws. A 503 verdict's errMsg is meant for the operator's log (it names the
   * IM address), not for the client.
   */
  async verify(token: string, expect: TokenExpectation, operationID: string): Promise<TokenVerdict> {
    const unavailable = (why: string): TokenVerdict => verifierUnavailable(`token check at ${this.endpoint} failed: ${why}`);

    let text: string;
    let status: number;
    try {
      const res = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          // The IM answers errCode 1001 to a missing or empty operationID.
          operationID: operationID === '' ? randomUUID() : operationID,
        },
        body: JSON.stringify({ token }),
        // A redirected POST is replayed as GET; reporting the redirect points the
        // operator at the misconfigured address instead.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      return unavailable(describeFailure(err, this.timeoutMs));
    }

    // The IM answers every outcome, token errors included, with HTTP 200; anything else
    // is a proxy, a wrong address or an IM fault, none of which says the token is bad.
    if (status < 200 || status > 299) return unavailable(`HTTP ${status}`);

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return unavailable(`answer is not JSON (${JSON.stringify(text.slice(0, 80))})`);
    }
    const envelope = readEnvelope(body);
    if (envelope === undefined) return unavailable('answer is not an OpenIM response envelope');

    const { errCode, errMsg } = envelope;
    if (errCode !== 0) {
      if (isTokenErrCode(errCode)) {
        return { ok: false, status: 401, errCode, errMsg: errMsg !== '' ? errMsg : (TOKEN_ERR_NAMES[errCode] ?? 'TokenError') };
      }
      // 500 (IM internal, e.g. its cache is down), 1001 (our request judged malformed)
      // and anything else are faults on the IM side or ours, not the client's.
      return unavailable(`errCode ${errCode}${errMsg !== '' ? ` ${errMsg}` : ''}`);
    }

    const parsed = readParsedToken(envelope.data);
    if (parsed === undefined) return unavailable('errCode 0 without userID/platformID/expireTimeSeconds in data');

    // Whether it has already expired is left to the IM: its clock issued the token.
    return checkTokenOwner(parsed, expect) ?? { ok: true, expiresAt: parsed.expireTimeSeconds * 1000 };
  }
}
