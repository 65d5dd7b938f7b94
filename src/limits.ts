/**
 * Every bound the gateway puts on what one client can make it hold or do, in one table.
 * README's "Limits" section lists the same numbers; tests pin each of them by value, so
 * changing one here without meaning to fails a test.
 *
 * How they fit together: a frame is at most `frameBytes`; the bytes of frames read but not
 * yet answered are bounded per socket and per user+platform (past either, the socket is not
 * read until answers go out — TCP pushes back on the client); what a socket has not taken of
 * its answers is bounded by `outboundBacklogBytes`, judged over `slowConsumerMs` so that one
 * large answer (up to a frame's size, and an echo can be as large as the frame it answers)
 * never counts as slowness.
 */

const MiB = 2 ** 20;

export const LIMITS = {
  /** A WebSocket frame above this closes the socket with 1009 (ws enforces it while reading). */
  frameBytes: 10 * MiB,

  /** Structure of a request: the frame, its `data` text and every JSON text item in it. */
  json: {
    /** Nesting of arrays and objects. */
    depth: 100,
    /** Values in one request (every array item, object member and the roots), all texts together. */
    values: 100_000,
    /** Items of one array or members of one object. */
    entries: 10_000,
    /** Characters (UTF-16 code units, after unescaping) of one string. */
    stringLength: 4 * MiB,
  },

  /** A request's reqFuncName (the longest client name has 40) and operationID (clients send UUIDs). */
  reqFuncNameLength: 128,
  operationIdLength: 256,

  /** Requests of one socket not answered yet; more are refused with 20005. */
  unansweredPerSocket: 1024,
  /** Frame bytes read from one socket and not answered yet; past it the socket is not read. */
  inboundBytesPerSocket: 16 * MiB,
  /** The same, summed over every socket of one user+platform. */
  inboundBytesPerSession: 32 * MiB,

  /** Bytes a socket has not taken of its answers and events before it counts as slow. */
  outboundBacklogBytes: 16 * MiB,
  /** A backlog above `outboundBacklogBytes` this long closes the socket 1013 "slow consumer". */
  slowConsumerMs: 5_000,
  /** A backlog this large closes the socket at once (memory bound while judging slowness). */
  outboundBacklogHardBytes: 64 * MiB,

  /** A connection must have sent its whole HTTP request head (the WebSocket handshake) within this. */
  requestHeadMs: 10_000,
  /** …and any plain HTTP request (health, metrics, admin) in full within this. */
  httpRequestMs: 30_000,

  /** The server pings every socket this often… */
  pingIntervalMs: 25_000,
  /** …and closes one it has heard nothing from (frame or pong) for this long (4000). */
  silenceMs: 60_000,
} as const;
