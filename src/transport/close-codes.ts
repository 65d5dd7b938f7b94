/** Every WebSocket close code the gateway sends, in one place. */
export const CLOSE_CODES = {
  /** Logout finished, or the session was kicked / its token expired (events sent first). */
  normal: { code: 1000, reason: 'session ended' },
  /** The server is shutting down. */
  goingAway: { code: 1001, reason: 'server shutting down' },
  /** A frame above the 10 MiB limit (ws sends this itself when maxPayload is exceeded). */
  tooBig: { code: 1009, reason: 'message too big' },
  /** The core could not be kept alive (repeated crashes). */
  coreFailed: { code: 1011, reason: 'core failed' },
  /**
   * Several nodes: another node takes this user over (or this one could not), so the client
   * should reconnect, through the load balancer, to the node that holds the user now. The
   * open-im-sdk 3.5.2 client reconnects after any close once it has logged in (5 s later, up
   * to 10 times) and sends its Login again; no OnKickedOffline is sent.
   */
  handedOver: { code: 1012, reason: 'session moved to another node, reconnect' },
  /**
   * Several nodes: this node cannot reach the session directory (Redis) or lost its lease, so
   * the client should reconnect (another node may take it) and retry. Not 1013, which already
   * means a slow consumer here.
   */
  clusterUnavailable: { code: 4001, reason: 'cluster directory unavailable, retry later' },
  /** The client does not read fast enough: its send buffer passed the cap. */
  slowConsumer: { code: 1013, reason: 'slow consumer' },
  /** Nothing received (frame or pong) for the liveness window. */
  dead: { code: 4000, reason: 'no activity' },
} as const satisfies Record<string, { code: number; reason: string }>;
