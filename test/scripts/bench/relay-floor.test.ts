import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { pacedLatencies } from '../../../scripts/bench/lib/closed-loop.ts';
import { startRelayFloor } from '../../../scripts/bench/lib/relay-floor.ts';

describe('relay floor', () => {
  it('answers Login, and every other request through a worker thread with "3"', async () => {
    const relay = await startRelayFloor(2);
    try {
      const ws = new WebSocket(relay.url);
      await once(ws, 'open');
      const replies: Array<{ event: string; errCode: number; data: string; operationID: string }> = [];
      ws.on('message', (d: Buffer) => replies.push(JSON.parse(d.toString()) as (typeof replies)[number]));
      ws.send(JSON.stringify({ reqFuncName: 'Login', operationID: 'l', data: '[]' }));
      for (let i = 0; i < 20; i++) ws.send(JSON.stringify({ reqFuncName: 'GetLoginStatus', operationID: `g${i}`, data: '[]' }));
      await expect.poll(() => replies.length).toBe(21);
      expect(replies[0]).toMatchObject({ event: 'Login', errCode: 0, operationID: 'l' });
      expect(new Set(replies.slice(1).map((r) => r.operationID))).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `g${i}`)));
      expect(replies.slice(1).every((r) => r.errCode === 0 && r.data === '3')).toBe(true);
      ws.close();
    } finally {
      await relay.close();
    }
  });
});

describe('pacedLatencies', () => {
  it('serves about rate × window calls and returns their latencies ascending', async () => {
    let calls = 0;
    const samples = await pacedLatencies([async () => void calls++], 2000, 50, 200);
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
