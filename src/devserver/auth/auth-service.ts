/**
 * Token issue and check, as the real auth service does them: admin accounts bypass the
 * token map, everyone else must hold a token the map knows and has not kicked.
 */
import { TokenState } from '../protocol/constants.ts';
import { ImError } from '../protocol/im-error-codes.ts';
import { parseToken, signToken, type TokenClaims } from './jwt.ts';
import { TokenStore } from './token-store.ts';

export interface AuthConfig {
  readonly secret: string;
  readonly tokenTtlSeconds: number;
  readonly adminUserIDs: readonly string[];
  /** Epoch ms. */
  readonly now: () => number;
}

export class AuthService {
  readonly config: AuthConfig;
  readonly tokens = new TokenStore();

  constructor(config: AuthConfig) {
    this.config = config;
  }

  isAdmin(userID: string): boolean {
    return this.config.adminUserIDs.includes(userID);
  }

  /** @param ttlSeconds overrides the configured lifetime (tests, the CLI helper). */
  async createToken(userID: string, platformID: number, ttlSeconds = this.config.tokenTtlSeconds): Promise<{ token: string; exp: number }> {
    const now = this.config.now();
    const signed = await signToken(this.config.secret, userID, platformID, ttlSeconds, now);
    if (!this.isAdmin(userID)) {
      this.tokens.issue(userID, platformID, signed.token, (existing) => this.#parses(existing));
    }
    return signed;
  }

  #parses(token: string): boolean {
    try {
      parseToken(token, this.config.secret, this.config.now());
      return true;
    } catch {
      return false;
    }
  }

  /** The real ParseToken: JWT checks, then the token map. Throws ImError. */
  parse(token: string): TokenClaims {
    const claims = parseToken(token, this.config.secret, this.config.now());
    if (this.isAdmin(claims.userID)) return claims;
    const state = this.tokens.stateOf(claims.userID, claims.platformID, token);
    if (state === undefined) throw new ImError('TokenNotExistError');
    if (state === TokenState.kicked) throw new ImError('TokenKickedError');
    if (state !== TokenState.normal) throw new ImError('TokenUnknownError');
    return claims;
  }
}
