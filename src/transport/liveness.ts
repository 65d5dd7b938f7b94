/**
 * Client socket liveness: every interval each socket is pinged, and one silent for longer
 * than the limit (no frame, no pong) is closed as dead — a phone that lost its network
 * never sends a close frame, and its socket would hold its session's place for ever.
 */
import type { ClientConn } from './client-conn.ts';
import { CLOSE_CODES } from './close-codes.ts';

export interface LivenessTimings {
  pingIntervalMs: number;
  silenceLimitMs: number;
}

/** Starts the checks over `sockets` (read afresh at every round); returns the stop function. */
export function startLiveness(sockets: Iterable<ClientConn>, timings: LivenessTimings): () => void {
  const timer = setInterval(() => {
    for (const c of sockets) {
      if (c.silentForMs > timings.silenceLimitMs) c.close(CLOSE_CODES.dead.code, CLOSE_CODES.dead.reason);
      else c.ping();
    }
  }, timings.pingIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
