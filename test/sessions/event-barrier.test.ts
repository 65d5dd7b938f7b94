/**
 * A core event that cannot be delivered (a fault while translating or sending it) is logged
 * and counted by the session; it never reaches the pool's port listener (where it would be an
 * uncaught exception), and the events after it are delivered.
 */
import { describe, expect, it } from 'vitest';
import { UserSession, type EventTranslation } from '../../src/sessions/user-session.ts';
import type { CorePool } from '../../src/pool/core-pool.ts';
import type { ClientConn } from '../../src/transport/client-conn.ts';
import type { ClientEnvelope } from '../../src/protocol/envelope.ts';
import { silentLogger } from '../helpers/cores.ts';

describe('UserSession event barrier', () => {
  it('survives a fault in one event and delivers the next', async () => {
    let emit: ((json: string) => void) | undefined;
    const pool = {
      startCore: (s: { onEvent(this: void, json: string): void }) => {
        emit = s.onEvent;
        return Promise.resolve({ id: 'c1', workerId: 1, call: (fn: string) => Promise.resolve(fn === 'initSDK' ? [true] : '""'), dispose: async () => {} });
      },
    } as unknown as CorePool;
    const internal: string[] = [];
    const session = new UserSession('alice', 5, {
      pool,
      logger: silentLogger,
      sdkConfig: () => '{}',
      gracePeriodMs: 1000,
      onClosed: () => {},
      onInternalError: (where) => internal.push(where),
      translateEvent: (json): EventTranslation => {
        if (json.includes('poison')) throw new RangeError('Maximum call stack size exceeded');
        return { envelopes: [{ event: 'OnX', errCode: 0, errMsg: '', data: json, operationID: '' }], endsSession: false, coreEvent: 'OnX' };
      },
    });
    const sent: ClientEnvelope[] = [];
    const conn = { open: true, identity: { token: 't' }, send: (e: ClientEnvelope) => sent.push(e), close: () => {} } as unknown as ClientConn;
    session.attach(conn);
    await session.login(conn, 'op', 't');
    expect(() => emit!('poison')).not.toThrow();
    emit!('fine');
    expect(internal).toEqual(['event']);
    expect(sent.map((e) => e.data)).toEqual(['fine']);
    expect(session.state).toBe('logged-in');
  });
});
