/**
 * Calls issued from this thread as fast as they answer: bare cores (core-calls, gateway)
 * and pool sessions (core-calls). Measuring windows are read off the clock, not from
 * timers, which a microtask-only loop would never let fire.
 */
import { performance } from 'node:perf_hooks';

/** One call; rejects on any failure so a broken setup cannot pass for fast. */
export type LoopCall = () => Promise<unknown>;

/**
 * A bare core settles getLoginStatus's promise within the call itself, so a closed loop on
 * it runs entirely in microtasks and starves this thread's event loop: no timer fires and
 * no port message (a pool's heartbeat replies included) is read until the loop ends.
 * Every YIELD_EVERY_MS all loops park on one setImmediate so the event loop gets a turn;
 * otherwise a pool, silent for seconds, would declare its healthy workers hung.
 */
const YIELD_EVERY_MS = 5;

class Yielder {
  #gate: Promise<void> | undefined;
  #next = performance.now() + YIELD_EVERY_MS;

  /** Resolves at once, except about every YIELD_EVERY_MS, when it waits one event-loop turn. */
  turn(now: number): Promise<void> | undefined {
    if (this.#gate) return this.#gate;
    if (now < this.#next) return undefined;
    this.#gate = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.#gate = undefined;
      this.#next = performance.now() + YIELD_EVERY_MS;
    });
    return this.#gate;
  }
}

/**
 * Closed loop: `inFlight` loops spread round-robin over `calls`, each issuing its next call
 * as soon as the previous one settles. Returns the calls per second that completed inside
 * the measuring window.
 */
export async function closedLoopRate(calls: readonly LoopCall[], inFlight: number, warmupMs: number, measureMs: number): Promise<number> {
  const from = performance.now() + warmupMs;
  const to = from + measureMs;
  const yielder = new Yielder();
  let done = 0;
  const loop = async (call: LoopCall): Promise<void> => {
    for (let now = performance.now(); now < to;) {
      await call();
      now = performance.now();
      if (now >= from && now < to) done++;
      const wait = yielder.turn(now);
      if (wait) await wait;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, i) => loop(calls[i % calls.length] as LoopCall)));
  return (done * 1000) / measureMs;
}

/** One call at a time, cycling over `calls`; the latencies in ms of those started after the warm-up, ascending. */
export async function sequentialLatencies(calls: readonly LoopCall[], warmupMs: number, measureMs: number): Promise<number[]> {
  const from = performance.now() + warmupMs;
  const to = from + measureMs;
  const yielder = new Yielder();
  const samples: number[] = [];
  let i = 0;
  for (let now = performance.now(); now < to;) {
    const call = calls[i++ % calls.length] as LoopCall;
    const t = performance.now();
    await call();
    now = performance.now();
    if (t >= from) samples.push(now - t);
    // Outside the timed span, so the yield's own cost is not in the sample.
    const wait = yielder.turn(now);
    if (wait) await wait;
  }
  return samples.sort((a, b) => a - b);
}

/**
 * Open loop on this thread, paced like the load generator (the calls due are released
 * together on each ~1 ms timer tick) and served one at a time in arrival order, as one
 * thread serves them: a call's latency counts its wait behind the calls released with it,
 * as a request's does in the gateway. Latencies in ms of the calls due inside the
 * window, ascending.
 */
export async function pacedLatencies(calls: readonly LoopCall[], rate: number, warmupMs: number, measureMs: number): Promise<number[]> {
  const start = performance.now();
  const from = start + warmupMs;
  const to = from + measureMs;
  const samples: number[] = [];
  let due = 0;
  let next = 0;
  for (let now = start; now < to; now = performance.now()) {
    for (const target = Math.floor(((now - start) * rate) / 1000); due < target; due++) {
      await (calls[next++ % calls.length] as LoopCall)();
      // Counted by when it was due, so the window holds rate × measureMs calls at most.
      const dueAt = start + (due * 1000) / rate;
      if (dueAt >= from && dueAt < to) samples.push(performance.now() - now);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  return samples.sort((a, b) => a - b);
}
