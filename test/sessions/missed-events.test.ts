/** The replay buffer keeps events up to its bound, drops the oldest first and says how many went. */
import { describe, expect, it } from 'vitest';
import { MissedEvents } from '../../src/sessions/missed-events.ts';
import type { ClientEnvelope } from '../../src/protocol/envelope.ts';

const env = (n: number): ClientEnvelope => ({ event: 'OnX', errCode: 0, errMsg: '', data: String(n), operationID: '' });

describe('MissedEvents', () => {
  it('hands over nothing when nothing was missed', () => {
    expect(new MissedEvents(3).take()).toBeUndefined();
  });

  it('keeps the newest events up to its bound, counts the dropped ones, and starts empty after a take', () => {
    const missed = new MissedEvents(3);
    missed.keep([env(1), env(2)]);
    missed.keep([env(3), env(4), env(5)]);
    expect(missed.take()).toEqual({ events: [env(3), env(4), env(5)], dropped: 2 });
    expect(missed.take()).toBeUndefined();
    missed.keep([env(6)]);
    expect(missed.take()).toEqual({ events: [env(6)], dropped: 0 });
  });
});
