/**
 * The session's state table: exactly the listed moves are allowed, every other one is
 * refused with an error naming the session and both states; and a UserSession whose move
 * is refused logs it, counts it as an internal error and does not take the new state.
 */
import { describe, expect, it, vi } from 'vitest';
import { IllegalSessionMove, nextState, SESSION_MOVES, type SessionState } from '../../src/sessions/session-state.ts';
import type * as SessionStateModule from '../../src/sessions/session-state.ts';
import { UserSession } from '../../src/sessions/user-session.ts';
import type { CorePool } from '../../src/pool/core-pool.ts';
import type { ClientConn } from '../../src/transport/client-conn.ts';
import { captureLogger } from '../helpers/cores.ts';

/** Which move the mocked table refuses on top of the real one (undefined: none). */
const refused = vi.hoisted(() => ({ to: undefined as string | undefined }));
vi.mock('../../src/sessions/session-state.ts', async (importOriginal) => {
  const real = await importOriginal<typeof SessionStateModule>();
  return {
    ...real,
    nextState: (from: SessionState, to: SessionState, who: string): SessionState => {
      if (to === refused.to) throw new real.IllegalSessionMove(from, to, who);
      return real.nextState(from, to, who);
    },
  };
});

const STATES: SessionState[] = ['idle', 'logging-in', 'logged-in', 'recovering', 'logging-out', 'closed'];

describe('session state table', () => {
  it('allows the moves of the login state machine', () => {
    const legal: Array<[SessionState, SessionState]> = [
      ['idle', 'logging-in'],
      ['logging-in', 'logged-in'],
      ['logging-in', 'idle'],
      ['logged-in', 'recovering'],
      ['recovering', 'recovering'],
      ['recovering', 'logged-in'],
      ['logged-in', 'logging-out'],
      ['logging-out', 'closed'],
      ['idle', 'closed'],
      ['logged-in', 'closed'],
      ['recovering', 'closed'],
    ];
    for (const [from, to] of legal) expect(nextState(from, to, 'alice/5')).toBe(to);
  });

  it('refuses every move the table does not list, naming the session and both states', () => {
    let refusedMoves = 0;
    for (const from of STATES) {
      for (const to of STATES) {
        if (SESSION_MOVES[from].includes(to)) continue;
        refusedMoves++;
        expect(() => nextState(from, to, 'alice/5')).toThrow(IllegalSessionMove);
        expect(() => nextState(from, to, 'alice/5')).toThrow(`session alice/5: illegal state change ${from} → ${to}`);
      }
    }
    // closed is final; logging-out only closes; no login skips logging-in.
    expect(() => nextState('closed', 'logged-in', 'bob/1')).toThrow(/closed → logged-in \(allowed from closed: none\)/);
    expect(() => nextState('idle', 'logged-in', 'bob/1')).toThrow(/idle → logged-in/);
    expect(() => nextState('logging-out', 'logged-in', 'bob/1')).toThrow(/logging-out → logged-in/);
    expect(() => nextState('closed', 'closed', 'bob/1')).toThrow(/closed → closed/);
    expect(refusedMoves).toBe(36 - Object.values(SESSION_MOVES).reduce((n, to) => n + to.length, 0));
  });
});

describe('UserSession state changes', () => {
  function session(internal: string[], logger = captureLogger('error')): UserSession {
    const pool = {
      startCore: () =>
        Promise.resolve({ id: 'c1', workerId: 1, call: (fn: string) => Promise.resolve(fn === 'initSDK' ? [true] : '""'), dispose: () => Promise.resolve() }),
    } as unknown as CorePool;
    return new UserSession('alice', 5, {
      pool,
      logger: logger.logger,
      sdkConfig: () => '{}',
      gracePeriodMs: 1000,
      onClosed: () => {},
      onInternalError: (where) => internal.push(where),
      translateEvent: () => ({ envelopes: [], endsSession: false, coreEvent: undefined }),
    });
  }
  const conn = { open: true, identity: { token: 't' }, send: () => {}, close: () => {} } as unknown as ClientConn;

  it('goes through login and logout without a refused move', async () => {
    refused.to = undefined;
    const internal: string[] = [];
    const s = session(internal);
    s.attach(conn);
    await s.login(conn, 'op', 't');
    expect(s.state).toBe('logged-in');
    await s.logout(conn, 'op2', () => {});
    expect(s.state).toBe('closed');
    expect(internal).toEqual([]);
  });

  it('a refused move is logged, counted as an internal error (where session) and not taken', async () => {
    refused.to = 'logged-in';
    try {
      const internal: string[] = [];
      const log = captureLogger('error');
      const s = session(internal, log);
      s.attach(conn);
      await expect(s.login(conn, 'op', 't')).rejects.toThrow(/session alice\/5: illegal state change logging-in → logged-in/);
      expect(internal).toEqual(['session']);
      expect(log.lines.some((l) => l.msg === 'internal error: illegal session state change refused' && l.userID === 'alice')).toBe(true);
      // The failed login fell back to idle (a legal move), never to logged-in.
      expect(s.state).toBe('idle');
      expect(s.isLoggedIn()).toBe(false);
    } finally {
      refused.to = undefined;
    }
  });
});
