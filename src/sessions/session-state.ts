/**
 * The session's login state machine as a table: every state change of a UserSession goes
 * through `nextState`, which refuses a move the table does not list.
 *
 *   idle ──Login──▶ logging-in ──ok──▶ logged-in ──Logout/kick/expiry/grace──▶ closed
 *                       │ fail                │ core lost (worker hang/crash, panic)
 *                       ▼                     ▼
 *                     idle               recovering ──re-login ok──▶ logged-in
 *
 * Logout (logging-out) and close are reachable from every live state; closed is final.
 */
export type SessionState = 'idle' | 'logging-in' | 'logged-in' | 'recovering' | 'logging-out' | 'closed';

export const SESSION_MOVES: { readonly [From in SessionState]: readonly SessionState[] } = {
  idle: ['logging-in', 'logging-out', 'closed'],
  // Back to idle when the login fails: a later Login starts over with a fresh core.
  'logging-in': ['logged-in', 'idle', 'logging-out', 'closed'],
  'logged-in': ['recovering', 'logging-out', 'closed'],
  // Again recovering: the core being re-created was lost too (its worker died meanwhile).
  recovering: ['recovering', 'logged-in', 'logging-out', 'closed'],
  'logging-out': ['closed'],
  closed: [],
};

export class IllegalSessionMove extends Error {
  readonly from: SessionState;
  readonly to: SessionState;

  constructor(from: SessionState, to: SessionState, who: string) {
    super(`session ${who}: illegal state change ${from} → ${to} (allowed from ${from}: ${SESSION_MOVES[from].join(', ') || 'none'})`);
    this.name = 'IllegalSessionMove';
    this.from = from;
    this.to = to;
  }
}

/** The state after moving `from` → `to`; throws IllegalSessionMove (naming `who`) for a move the table refuses. */
export function nextState(from: SessionState, to: SessionState, who: string): SessionState {
  if (!SESSION_MOVES[from].includes(to)) throw new IllegalSessionMove(from, to, who);
  return to;
}
