import { describe, expect, it } from 'vitest';
import { AUTH_LIMITS } from '../../src/auth/auth-limits.ts';
import { SERVER_FLAGS } from '../../src/config/options.ts';

describe('AUTH_LIMITS', () => {
  // README (Limits, Tokens) states these numbers; the behaviour tests (token-cache, handshake,
  // admission) check each one is applied. Change one only together with the README.
  it('are the documented numbers', () => {
    expect(AUTH_LIMITS).toEqual({
      tokenChars: 4096,
      userIDBytes: 64,
      operationIDChars: 256,
      tokenChecksInFlight: 64,
      pendingHandshakes: 1024,
      tokenCacheTtlSeconds: 60,
      refusalTtlMs: 10_000,
      acceptedVerdicts: { entries: 50_000, bytes: 32 * 2 ** 20 },
      refusedVerdicts: { entries: 10_000, bytes: 8 * 2 ** 20 },
      verdictMessageChars: 256,
      retryAfterSeconds: 5,
    });
  });

  it('--token-cache-ttl defaults to the table and may be 0 to 3600', () => {
    expect(SERVER_FLAGS.tokenCacheTtlSeconds.default).toBe(AUTH_LIMITS.tokenCacheTtlSeconds);
    expect(SERVER_FLAGS.tokenCacheTtlSeconds.expects).toBe('an integer from 0 to 3600');
  });
});
