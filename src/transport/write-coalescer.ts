/**
 * Coalesces a socket's writes per turn of the event loop.
 *
 * Under load, one write syscall per reply was a quarter of the main thread's time per call.
 * Once a turn has written to a transport, the transport is corked until the end of the turn
 * (a `setImmediate` runs right after the turn's I/O callbacks): the first frame leaves at
 * once, the rest that the same turn produces for that socket leave together in one
 * `writev`, and none waits longer than the turn that produced it.
 */
import type { Writable } from 'node:stream';

/** Beyond this many bytes waiting in a corked transport, it is written out at once. */
export const COALESCE_LIMIT_BYTES = 64 * 1024;

let corked = new Set<Writable>();
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  // Swapped first so that a write made while uncorking would start a fresh batch.
  const batch = corked;
  corked = new Set();
  for (const transport of batch) transport.uncork();
}

/**
 * Call after each write to `transport`. Large backlogs go out at once, so that what stays
 * buffered (and what backpressure checks read) is what the peer has not taken, not a batch.
 */
export function coalesceWrites(transport: Writable): void {
  if (transport.destroyed) return;
  if (corked.has(transport)) {
    if (transport.writableLength >= COALESCE_LIMIT_BYTES) {
      corked.delete(transport);
      transport.uncork();
    }
    return;
  }
  transport.cork();
  corked.add(transport);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}
