import { describe, expect, it } from 'vitest';
import { pacedLatencies } from '../../../scripts/bench/lib/closed-loop.ts';
import { startRelayFloor } from '../../../scripts/bench/lib/relay-floor.ts';
import { TestClient } from '../../helpers/gateway.ts';

describe('relay floor', () => {
  it('answers Login, and every other request through a worker thread with "3"', async () => {
    const relay = await startRelayFloor(2);
    try {
      const c = await TestClient.connect(relay, 'relay-user');
      // All sent back to back, as the bench's clients do: Login does not hold the others up.
      const login = c.request('Login', [], 'l');
      const statuses = Array.from({ length: 20 }, (_, i) => c.request('GetLoginStatus', [], `g${i}`));
      expect(await login).toMatchObject({ event: 'Login', errCode: 0, operationID: 'l' });
      const replies = await Promise.all(statuses);
      expect(replies.map((r) => r.operationID)).toEqual(Array.from({ length: 20 }, (_, i) => `g${i}`));
      expect(replies.every((r) => r.errCode === 0 && r.data === '3')).toBe(true);
      expect(c.responses).toHaveLength(21);
      c.close();
    } finally {
      await relay.close();
    }
  });
});

describe('pacedLatencies', () => {
  it('serves about rate × window calls and returns their latencies ascending', async () => {
    let calls = 0;
    const samples = await pacedLatencies(
      [
        () => {
          calls++;
          return Promise.resolve();
        },
      ],
      2000,
      50,
      200,
    );
    // Counted by due time: never more than the nominal 400; late ticks (a busy CI) lose the tail.
    expect(samples.length).toBeGreaterThan(100);
    expect(samples.length).toBeLessThanOrEqual(400);
    expect(calls).toBeGreaterThanOrEqual(samples.length);
    expect(samples).toEqual([...samples].sort((a, b) => a - b));
  });

  it('fails with the first failing call instead of reporting latencies', async () => {
    await expect(pacedLatencies([() => Promise.reject(new Error('core said no'))], 1000, 0, 50)).rejects.toThrow('core said no');
  });
});
