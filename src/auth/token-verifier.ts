/**
 * Token check at the WebSocket handshake. Two drivers implement it: asking the IM
 * server (openim-verifier.ts) and verifying the JWT locally (jwt-verifier.ts);
 * token-cache.ts wraps either.
 *
 * The verdict separates "this token is not acceptable" (401, the client must get a
 * new token) from "we could not find out" (503, the client should retry): telling a
 * client its token is bad because the IM server was briefly unreachable would make
 * it log the user out for nothing.
 */

export interface TokenExpectation {
  /** The handshake's `sendID`. */
  userID: string;
  platformID: number;
}

export type TokenVerdict =
  | { readonly ok: true; /** Token expiry, epoch milliseconds. */ readonly expiresAt: number }
  | { readonly ok: false; readonly status: 401; readonly errCode: number; readonly errMsg: string }
  | {
      readonly ok: false;
      readonly status: 503;
      readonly errMsg: string;
      /** Set when we refused to ask at all (too many checks in flight), not the IM failing. */
      readonly busy?: true;
    };

export interface TokenVerifier {
  verify(token: string, expect: TokenExpectation, operationID: string): Promise<TokenVerdict>;
  /** Drops what is remembered about a token the IM server has since ended (caching drivers). */
  forget?(token: string, expect: TokenExpectation): void;
  /**
   * Drops what is remembered about every token of this user (of one platform, or of all):
   * after a Logout or a kick the next socket is verified afresh whatever token it brings.
   */
  forgetUser?(userID: string, platformID?: number): void;
  /** Verdicts remembered (caching drivers), for the metrics. */
  readonly cachedVerdicts?: number;
}

/**
 * The IM server's token error codes (its errs package, as parse_token answers them). Verdicts
 * carry these so that a client sees the same code it would get from the IM itself.
 */
export const TokenErrCode = {
  expired: 1501,
  /** Also what the IM gateway answers when the token's user/platform differ from the query's. */
  invalid: 1502,
  malformed: 1503,
  notValidYet: 1504,
  unknown: 1505,
  kicked: 1506,
  notExist: 1507,
} as const;

/** errMsg names as the IM server spells them, for verdicts we produce ourselves. */
export const TOKEN_ERR_NAMES: Readonly<Record<number, string>> = {
  1501: 'TokenExpiredError',
  1502: 'TokenInvalidError',
  1503: 'TokenMalformedError',
  1504: 'TokenNotValidYetError',
  1505: 'TokenUnknownError',
  1506: 'TokenKickedError',
  1507: 'TokenNotExistError',
};

export function isTokenErrCode(code: number): boolean {
  return code >= TokenErrCode.expired && code <= TokenErrCode.notExist;
}

export function tokenRejected(errCode: number, detail?: string): TokenVerdict {
  const name = TOKEN_ERR_NAMES[errCode] ?? 'TokenError';
  return { ok: false, status: 401, errCode, errMsg: detail === undefined || detail === '' ? name : `${name}: ${detail}` };
}

export function verifierUnavailable(errMsg: string): TokenVerdict {
  return { ok: false, status: 503, errMsg };
}

/** The comparison every driver makes once it knows whose token it is. */
export function checkTokenOwner(claims: { userID: string; platformID: number }, expect: TokenExpectation): TokenVerdict | undefined {
  if (claims.userID === expect.userID && claims.platformID === expect.platformID) return undefined;
  // Naming the token's owner reveals nothing: anyone holding a JWT can read its claims.
  return tokenRejected(
    TokenErrCode.invalid,
    `token is for userID ${JSON.stringify(claims.userID)} platformID ${claims.platformID}, ` +
      `not userID ${JSON.stringify(expect.userID)} platformID ${expect.platformID}`,
  );
}
