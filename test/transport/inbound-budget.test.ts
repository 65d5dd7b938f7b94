import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/limits.ts';
import { InboundBudget } from '../../src/transport/inbound-budget.ts';
import type { ClientConn } from '../../src/transport/client-conn.ts';

const MiB = 2 ** 20;

/** Just what the budget uses of a socket: its held bytes and pause/resume. */
function socket(): ClientConn & { pauses: number; resumes: number } {
  const s = {
    inboundBytes: 0,
    paused: false,
    pauses: 0,
    resumes: 0,
    pause() {
      s.paused = true;
      s.pauses++;
    },
    resume() {
      s.paused = false;
      s.resumes++;
    },
  };
  return s as unknown as ClientConn & { pauses: number; resumes: number };
}

const budget = (): InboundBudget => new InboundBudget({ perSocketBytes: LIMITS.inboundBytesPerSocket, perSessionBytes: LIMITS.inboundBytesPerSession });

describe('InboundBudget', () => {
  it('pins the documented bounds: 16 MiB per socket, 32 MiB per user+platform, 10 MiB frames', () => {
    expect([LIMITS.inboundBytesPerSocket, LIMITS.inboundBytesPerSession, LIMITS.frameBytes]).toEqual([16 * MiB, 32 * MiB, 10 * MiB]);
  });

  it('stops reading a socket past 16 MiB unanswered and reads it again once answers free them', () => {
    const b = budget();
    const s = socket();
    b.take(s, 'u', 8 * MiB);
    b.take(s, 'u', 8 * MiB);
    expect(s.paused).toBe(false); // at the bound, not past it
    b.take(s, 'u', 1);
    expect(s.paused).toBe(true);
    expect(b.pausedSockets).toBe(1);
    b.release(s, 'u', 1);
    expect(s.paused).toBe(false);
    expect(b.pausedSockets).toBe(0);
    expect(b.bytes).toBe(16 * MiB);
  });

  it('bounds the sum over one user+platform: the socket that passes 32 MiB waits, the others of that user too', () => {
    const b = budget();
    const [x, y, z, other] = [socket(), socket(), socket(), socket()];
    b.take(x, 'alice', 12 * MiB);
    b.take(y, 'alice', 12 * MiB);
    b.take(other, 'bob', 12 * MiB);
    b.take(z, 'alice', 8 * MiB); // 32 MiB: at the bound
    expect([x.paused, y.paused, z.paused]).toEqual([false, false, false]);
    b.take(z, 'alice', 1);
    expect(z.paused).toBe(true);
    b.take(x, 'alice', 1);
    expect(x.paused).toBe(true);
    expect(other.paused).toBe(false); // another user is not held back
    b.release(y, 'alice', 2 * MiB);
    expect([x.paused, z.paused]).toEqual([false, false]);
  });

  it('keeps a socket over its own bound paused while its user is under the sum', () => {
    const b = budget();
    const [x, y] = [socket(), socket()];
    b.take(x, 'alice', 17 * MiB);
    b.take(y, 'alice', 16 * MiB); // 33 MiB: y paused for the sum
    expect([x.paused, y.paused]).toEqual([true, true]);
    b.release(y, 'alice', 16 * MiB);
    expect([x.paused, y.paused]).toEqual([true, false]);
    b.release(x, 'alice', 2 * MiB);
    expect(x.paused).toBe(false);
    expect(b.bytes).toBe(15 * MiB);
  });

  it('forgets a closed socket and ends with nothing held', () => {
    const b = budget();
    const s = socket();
    b.take(s, 'u', 20 * MiB);
    b.forget(s, 'u');
    expect(b.pausedSockets).toBe(0);
    b.release(s, 'u', 20 * MiB);
    expect(b.bytes).toBe(0);
    expect(s.resumes).toBe(0);
  });
});
