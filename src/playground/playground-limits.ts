/**
 * What a visitor of the playground can make the gateway do. Its token route registers users
 * on the embedded dev server, which keeps them in memory for the life of the process, and
 * the gateway may listen on every interface: each bound keeps a curious or hostile visitor
 * from filling that memory or queueing work without end.
 */
export const PLAYGROUND_LIMITS = {
  /** Longest user name the page may pick (the IM server stores up to 64 bytes). */
  userIDChars: 32,
  /** Body of a token request (`{"userID":"…"}` needs far less). */
  tokenRequestBytes: 1024,
  /** Token requests being answered at once; past it: 503. */
  tokenRequestsInFlight: 8,
  /** Distinct users the playground registers over the process's life; past it: 429. */
  registeredUsers: 1000,
} as const;

export type PlaygroundLimits = { readonly [K in keyof typeof PLAYGROUND_LIMITS]: number };

/**
 * Letters, digits and `_`, ASCII only: the name goes unescaped into the WebSocket URL the SDK
 * builds (`?sendID=…`), so anything a URL treats specially would change the handshake.
 */
export const PLAYGROUND_USER_ID = new RegExp(`^[A-Za-z0-9_]{1,${PLAYGROUND_LIMITS.userIDChars}}$`);

/** The platform the page signs in as: web, so that tabs of one user share one core. */
export const PLAYGROUND_PLATFORM_ID = 5;
