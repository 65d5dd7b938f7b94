import type { Logger } from 'pino';
import { CachingTokenVerifier } from './token-cache.ts';
import { JwtTokenVerifier } from './jwt-verifier.ts';
import { OpenImTokenVerifier } from './openim-verifier.ts';

/** The verifier `--auth` selects, behind the cache every handshake and Login goes through. */
export function createTokenVerifier(
  options: { auth: 'openim' | 'jwt'; openimApi: string; jwtSecret?: string | undefined; tokenCacheTtlSeconds: number },
  logger: Logger,
): CachingTokenVerifier {
  const cache = { acceptedTtlMs: options.tokenCacheTtlSeconds * 1000 };
  if (options.auth === 'jwt') {
    if (!options.jwtSecret) throw new Error('--auth jwt needs --jwt-secret (the IM server secret)');
    // Say it where the operator looks: a local check cannot know what the IM revoked.
    logger.warn('handshake tokens verified locally (HS256): tokens the IM server has kicked (1506) or no longer knows (1507) still pass until they expire');
    return new CachingTokenVerifier(new JwtTokenVerifier({ secret: options.jwtSecret }), cache);
  }
  return new CachingTokenVerifier(new OpenImTokenVerifier({ apiBase: options.openimApi }), cache);
}
