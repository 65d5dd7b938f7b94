import type { Logger } from 'pino';
import { CachingTokenVerifier } from './token-cache.ts';
import { JwtTokenVerifier } from './jwt-verifier.ts';
import { OpenImTokenVerifier } from './openim-verifier.ts';
import type { TokenVerifier } from './token-verifier.ts';

/** The verifier `--auth` selects, behind the cache every handshake goes through. */
export function createTokenVerifier(
  options: { auth: 'openim' | 'jwt'; openimApi: string; jwtSecret?: string | undefined },
  logger: Logger,
): TokenVerifier {
  if (options.auth === 'jwt') {
    if (!options.jwtSecret) throw new Error('--auth jwt needs --jwt-secret (the IM server secret)');
    logger.info('handshake tokens verified locally (HS256)');
    return new CachingTokenVerifier(new JwtTokenVerifier({ secret: options.jwtSecret }));
  }
  return new CachingTokenVerifier(new OpenImTokenVerifier({ apiBase: options.openimApi }));
}
