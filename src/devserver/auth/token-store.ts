/**
 * The server's token map: per (user, platform), every token it issued and its state
 * (docs/im-server.md#issuing-tokens). A token that is not in the map does not exist for the server (1507), even
 * if its signature is fine.
 *
 * Issuing follows the default multi-login policy ("all platforms, same platformID
 * exclusive"): the user's tokens for that platform that are already kicked or no longer
 * parse are forgotten, the ones still normal are marked kicked, then the new one is
 * added. (The real server also computes kicks for other platforms, but writes them into
 * the new platform's map, where they change nothing; the visible effect is this one.)
 */
import { TokenState, type TokenStateValue } from '../protocol/constants.ts';

export class TokenStore {
  readonly #byUser = new Map<string, Map<number, Map<string, TokenStateValue>>>();

  #platformMap(userID: string, platformID: number, create: boolean): Map<string, TokenStateValue> | undefined {
    let platforms = this.#byUser.get(userID);
    if (platforms === undefined) {
      if (!create) return undefined;
      platforms = new Map();
      this.#byUser.set(userID, platforms);
    }
    let tokens = platforms.get(platformID);
    if (tokens === undefined && create) {
      tokens = new Map();
      platforms.set(platformID, tokens);
    }
    return tokens;
  }

  /** @param stillParses whether an existing token would still pass the JWT checks (not expired, …). */
  issue(userID: string, platformID: number, token: string, stillParses: (token: string) => boolean): void {
    const tokens = this.#platformMap(userID, platformID, true);
    if (tokens === undefined) return;
    for (const [existing, state] of [...tokens]) {
      if (state !== TokenState.normal || !stillParses(existing)) tokens.delete(existing);
      else tokens.set(existing, TokenState.kicked);
    }
    tokens.set(token, TokenState.normal);
  }

  /** undefined: the server never issued it (or has forgotten it). */
  stateOf(userID: string, platformID: number, token: string): TokenStateValue | undefined {
    return this.#platformMap(userID, platformID, false)?.get(token);
  }

  /** A new connection's token stays; every other token of that platform is kicked. */
  kickAllBut(userID: string, platformID: number, preserved: string): void {
    const tokens = this.#platformMap(userID, platformID, false);
    if (tokens === undefined) return;
    for (const token of tokens.keys()) if (token !== preserved) tokens.set(token, TokenState.kicked);
  }

  /** force_logout: every token of that platform is kicked. */
  kickAll(userID: string, platformID: number): void {
    const tokens = this.#platformMap(userID, platformID, false);
    if (tokens === undefined) return;
    for (const token of tokens.keys()) tokens.set(token, TokenState.kicked);
  }
}
