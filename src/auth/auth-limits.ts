/**
 * Every bound the handshake and the token cache put on what an unauthenticated caller can
 * make the gateway hold or do, in one table. Tests pin each number, so changing one here
 * without meaning to fails a test. (`--token-cache-ttl` is a flag; its default is here too.)
 */

const MiB = 2 ** 20;

export const AUTH_LIMITS = {
  /**
   * Characters of the handshake's `token`. An OpenIM token is a JWT of a few fixed claims:
   * under 600 characters even for the longest userID below, so this leaves room for other
   * issuers' extra claims while keeping each parse_token request and pending handshake small.
   */
  tokenChars: 4096,
  /**
   * UTF-8 bytes of the handshake's `sendID`. OpenIM's own tables hold userIDs of 64
   * characters (varchar(64)); counting bytes also keeps every accepted userID within the
   * core's per-user directory name, where each non-ASCII byte takes three characters.
   */
  userIDBytes: 64,
  /** Characters of the handshake's `operationID` (it goes into every log line of the handshake). */
  operationIDChars: 256,

  /**
   * Token checks the gateway has outstanding at the IM server (or the local JWT check) at
   * once, whole process; cache hits and checks that join an identical one in flight do not
   * count. parse_token answers in milliseconds, so 64 at a time still admits thousands of
   * reconnecting clients a second, while a flood of made-up tokens costs the IM server at
   * most 64 requests at a time. Past it a handshake is refused 503 with Retry-After.
   */
  tokenChecksInFlight: 64,
  /**
   * Handshakes being verified (including those waiting on a check another handshake
   * started) and not yet upgraded or refused. Each holds a socket and its request headers
   * (Node allows 16 KiB), so 1024 bounds that memory to about 16 MiB. Past it: 503.
   */
  pendingHandshakes: 1024,

  /** Default of `--token-cache-ttl`: seconds a token the IM accepted is taken on trust. */
  tokenCacheTtlSeconds: 60,
  /** How long a refusal (401) is reused: a flood of one bad token costs one IM request per this. */
  refusalTtlMs: 10_000,
  /**
   * Accepted tokens remembered at once, least recently used going first (about 500 bytes of
   * heap each: 50 000 ≈ 25 MiB; the byte bound, on the estimate of token-cache.ts, holds
   * whatever the userIDs' lengths)…
   */
  acceptedVerdicts: { entries: 50_000, bytes: 32 * MiB },
  /** …and refused ones apart, so a flood of bad tokens cannot push out the good ones. */
  refusedVerdicts: { entries: 10_000, bytes: 8 * MiB },
  /** A refusal's message as kept and sent (a JWT driver's message can quote the token's claims). */
  verdictMessageChars: 256,

  /** Retry-After of a 503 handshake refusal: the JS client's own reconnect delay. */
  retryAfterSeconds: 5,
} as const;
