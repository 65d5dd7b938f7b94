/**
 * One attacker socket: a user of its own, logged in or not, sending one hostile frame at a
 * time and taking the first frame back that is not a listener event as its answer (so an
 * answer that lost or garbled its operationID is still judged, not waited for).
 */
import { CbEvents } from 'open-im-sdk';
import { ImSocket, type Received } from './im-socket.ts';
import type { LaneState, Self } from './attack-plan.ts';
import type { SentFrame } from './attack-judge.ts';
import { StepTimeout } from './timing.ts';

export const PLATFORM_ID = 5;

const CLIENT_EVENTS: ReadonlySet<string> = new Set(Object.values(CbEvents));
/** Events that mean the session itself is in trouble (its core could not reconnect, or it ended). */
const TROUBLE_EVENTS: ReadonlySet<string> = new Set(['OnConnectFailed', 'OnKickedOffline', 'OnUserTokenExpired', 'OnUserTokenInvalid']);

export type LaneOutcome =
  | { kind: 'answer'; r: Received; ms: number; malformed: Received[]; trouble: string[] }
  | { kind: 'closed'; code: number; reason: string; ms: number }
  /** No answer in time; `malformed` holds frames that came back but were not envelopes. */
  | { kind: 'timeout'; ms: number; malformed: Received[] };

const isEvent = (r: Received): boolean => r.env.operationID === '' && CLIENT_EVENTS.has(r.env.event);

/**
 * Whether `r` answers the one request in flight. Listener events carry no operationID, and
 * neither does the answer to a frame without a readable one: for such a frame any frame but a
 * client event is its answer. For a frame with an operationID, a frame without one is its
 * answer only when named "Error" (the gateway's name when it could not read the request), so
 * events with made-up names, as the test core's DebugEmit sends, are not taken for answers.
 * An answer with a wrong operationID is still taken, so that it is judged, not waited for.
 */
function answers(sent: SentFrame): (r: Received) => boolean {
  if (sent.echoOpID === undefined || sent.echoOpID === '') return (r) => !isEvent(r);
  return (r) => r.env.operationID !== '' || (r.env.event === 'Error' && !isEvent(r));
}

export class AttackLane {
  #socket: ImSocket | undefined;
  #url: string;

  constructor(
    readonly name: string,
    readonly user: Self,
    readonly state: LaneState,
    url: string,
  ) {
    this.#url = url;
  }

  get socket(): ImSocket | undefined {
    return this.#socket;
  }

  /** Opens a fresh socket (on `url` when the gateway has moved), logging in when the lane is an after-login one. */
  async open(url: string = this.#url): Promise<void> {
    this.#url = url;
    this.#socket?.terminate();
    this.#socket = undefined;
    const s = await ImSocket.open(url, { sendID: this.user.userID, token: this.user.token, platformID: PLATFORM_ID });
    if (this.state === 'after-login') {
      const r = await s.request('Login', [this.user.userID, this.user.token], { timeoutMs: 30_000 });
      if (r.env.errCode !== 0) {
        s.terminate();
        throw new Error(`lane ${this.name}: Login failed: ${r.raw.slice(0, 300)}`);
      }
    }
    this.#socket = s;
  }

  /** Sends one frame and waits for its answer, the socket's close, or `timeoutMs`. */
  async send(frame: string | Buffer, binary: boolean, sent: SentFrame, timeoutMs: number): Promise<LaneOutcome> {
    const s = this.#socket;
    if (!s || s.isClosed) return { kind: 'closed', code: -1, reason: 'lane socket was not open', ms: 0 };
    s.dropEvents();
    const t0 = performance.now();
    const answer = s.take(answers(sent), timeoutMs, 'answer');
    s.sendRaw(frame, binary);
    let r: Received;
    try {
      r = await answer;
    } catch (err) {
      const ms = performance.now() - t0;
      if (err instanceof StepTimeout) return { kind: 'timeout', ms, malformed: s.malformed.splice(0) };
      const closed = await s.closed;
      return { kind: 'closed', code: closed.code, reason: closed.reason, ms };
    }
    const malformed = s.malformed.splice(0);
    const trouble = s.inbox.filter((x) => isEvent(x) && TROUBLE_EVENTS.has(x.env.event)).map((x) => x.env.event);
    return { kind: 'answer', r, ms: performance.now() - t0, malformed, trouble };
  }

  /** Sends all frames at once, then collects the answers (one each) within `timeoutMs`. */
  async burst(
    frames: ReadonlyArray<{ frame: string | Buffer; binary: boolean; sent: SentFrame }>,
    timeoutMs: number,
  ): Promise<{ answers: Received[]; closed: { code: number; reason: string } | undefined; ms: number }> {
    const s = this.#socket;
    if (!s || s.isClosed) return { answers: [], closed: { code: -1, reason: 'lane socket was not open' }, ms: 0 };
    s.dropEvents();
    const t0 = performance.now();
    for (const f of frames) s.sendRaw(f.frame, f.binary);
    const got: Received[] = [];
    const deadline = t0 + timeoutMs;
    const match = frames[0] ? answers(frames[0].sent) : () => false;
    while (got.length < frames.length) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      const r = await s.take(match, left, 'burst answer').catch(() => undefined);
      if (!r) break;
      got.push(r);
    }
    return { answers: got, closed: s.isClosed ? await s.closed : undefined, ms: performance.now() - t0 };
  }

  /** GetLoginStatus on the lane's socket: "3" after Login, anything else before. */
  async status(timeoutMs: number): Promise<{ ok: boolean; observed: string }> {
    const s = this.#socket;
    if (!s || s.isClosed) return { ok: false, observed: 'socket closed' };
    const r = await s.request('GetLoginStatus', [], { timeoutMs }).catch((err: unknown) => String(err));
    s.dropEvents();
    if (typeof r === 'string') return { ok: false, observed: r };
    const loggedIn = r.env.errCode === 0 && r.env.data === '3';
    return { ok: r.env.errCode === 0 && loggedIn === (this.state === 'after-login'), observed: r.raw.slice(0, 300) };
  }

  close(): void {
    this.#socket?.terminate();
    this.#socket = undefined;
  }
}
