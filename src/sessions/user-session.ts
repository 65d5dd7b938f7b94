/**
 * One session: a (userID, platformID), the sockets sharing it and its core, driven through
 * the login state machine of session-state.ts (every change goes through `#moveTo`).
 *
 * Concurrent Logins share one attempt; requests that arrive while a login (or recovery)
 * is under way wait for it; everything else before login is refused with 10004. The parts
 * live beside it: core-login.ts (initSDK + login), missed-events.ts (the replay buffer),
 * crash-budget.ts, socket-background.ts, connection-events.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CorePool, CoreLost } from '../pool/core-pool.ts';
import type { CoreHandle } from '../pool/worker/core-handle.ts';
import { CoreCallError, type CoreValue } from '../../core-wasm/call-result.ts';
import type { ClientConn } from '../transport/client-conn.ts';
import { CLOSE_CODES } from '../transport/close-codes.ts';
import type { ClientEnvelope } from '../protocol/envelope.ts';
import { GatewayError } from './gateway-error.ts';
import { redactAddresses } from '../protocol/redact-addresses.ts';
import { ENDED_BY_OTHER_TAB_DATA, ENDED_BY_OTHER_TAB_EVENT } from '../protocol/events.ts';
import { SocketBackground } from './socket-background.ts';
import { ERROR_CODES } from '../protocol/error-codes.ts';
import type { OwnershipClaim, SessionOwnership } from '../cluster/ownership.ts';
import { nextState, type SessionState } from './session-state.ts';
import { MissedEvents } from './missed-events.ts';
import { CrashBudget } from './crash-budget.ts';
import { logCoreIn } from './core-login.ts';
import { connectionEvent, withoutAddresses } from './connection-events.ts';
import { errorText } from '../shared/error-text.ts';

export type { SessionState } from './session-state.ts';

/** operationID that makes the core skip the IM server round-trip on logout (core constant). */
export const SOCKET_CLOSE_OPERATION_ID = 'js sdk socket close';

/** How a core event reaches clients: translated envelopes, and whether it ends the session. */
export interface EventTranslation {
  envelopes: ClientEnvelope[];
  /** Kicked offline / token expired or invalid: the core has logged itself out. */
  endsSession: boolean;
  /** For logs: the core's own event name. */
  coreEvent: string | undefined;
}

export interface UserSessionDeps {
  pool: CorePool;
  logger: Logger;
  /** initSDK config JSON for a core of this platform. */
  sdkConfig(platformID: number): string;
  /** `userID`: the session's user (typing messages made from input status reports name it as receiver). */
  translateEvent(json: string, userID: string): EventTranslation;
  gracePeriodMs: number;
  /** Called once the session is closed and its core freed. */
  onClosed(session: UserSession): void;
  /**
   * This session's tokens are not to be taken on trust any more (the IM server kicked or
   * expired them, the client logged out, an operator kicked the user): cached verdicts for
   * them must not let a new socket in without asking the IM server again.
   */
  onTokensRevoked?(tokens: readonly string[], userID: string, platformID: number): void;
  /** A barrier caught an unexpected error, or a state change was refused (already logged here); for the metric. */
  onInternalError?(where: 'event' | 'session'): void;
  /**
   * Several nodes: the session takes its user+platform in the cluster's directory before the
   * core logs in (another node's hold is handed over first) and lets go once the core is out.
   * Absent on a single node.
   */
  ownership?: SessionOwnership;
  /** Core panics within this window… */
  panicWindowMs?: number;
  /** …up to this many are survived by re-creating the core. */
  maxPanicsInWindow?: number;
}

/** Login failures that mean "reconnect (through the load balancer) and retry", with the close code that says so. */
const RECONNECT_ON: ReadonlyMap<number, { code: number; reason: string }> = new Map<number, { code: number; reason: string }>([
  [ERROR_CODES.ClusterUnavailable.code, CLOSE_CODES.clusterUnavailable],
  [ERROR_CODES.SessionMoved.code, CLOSE_CODES.handedOver],
]);

/** Events kept for sockets that reconnect within the grace period (oldest dropped first). */
const MISSED_EVENTS_LIMIT = 1000;

export class UserSession {
  readonly userID: string;
  readonly platformID: number;
  #deps: UserSessionDeps;
  #log: Logger;
  #state: SessionState = 'idle';
  #core: CoreHandle | undefined;
  /** Sockets attached to this session; `loggedIn` is the subset that receives events (logged in or logging in). */
  #conns = new Set<ClientConn>();
  #loggedIn = new Set<ClientConn>();
  /** The login (or recovery) in progress: everyone who needs the core waits on it. */
  #pendingLogin: Promise<void> | undefined;
  /** The token the core is logged in with (already verified at a handshake). */
  #token: string | undefined;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #crashes: CrashBudget;
  /** Events that arrived while no socket was logged in (between a drop and the re-Login). */
  #missed = new MissedEvents(MISSED_EVENTS_LIMIT);
  #background = new SocketBackground<ClientConn>();
  /** This node's hold on the user in the cluster (several nodes only), from before login until the core is out. */
  #claim: OwnershipClaim | undefined;

  constructor(userID: string, platformID: number, deps: UserSessionDeps) {
    this.userID = userID;
    this.platformID = platformID;
    this.#deps = deps;
    this.#log = deps.logger.child({ userID, platformID });
    this.#crashes = new CrashBudget(deps.panicWindowMs ?? 60_000, deps.maxPanicsInWindow ?? 3);
  }

  /**
   * The one place the state changes: a move the table (session-state.ts) does not allow is
   * refused — logged, counted as an internal error, and thrown to the caller.
   */
  #moveTo(to: SessionState): void {
    try {
      this.#state = nextState(this.#state, to, `${this.userID}/${this.platformID}`);
    } catch (err) {
      this.#log.error({ err }, 'internal error: illegal session state change refused');
      this.#deps.onInternalError?.('session');
      throw err;
    }
  }

  get state(): SessionState {
    return this.#state;
  }

  get connections(): number {
    return this.#conns.size;
  }

  get coreId(): string | undefined {
    return this.#core?.id;
  }

  get workerId(): number | undefined {
    return this.#core?.workerId;
  }

  /** The fence of this session's hold in the cluster's directory, while it has one. */
  get ownershipFence(): number | undefined {
    return this.#claim?.fence;
  }

  attach(conn: ClientConn): void {
    this.#conns.add(conn);
    if (this.#graceTimer) {
      clearTimeout(this.#graceTimer);
      this.#graceTimer = undefined;
    }
  }

  /** A socket went away. The last one starts the grace period (or frees an idle core now). */
  detach(conn: ClientConn): void {
    this.#conns.delete(conn);
    this.#loggedIn.delete(conn);
    this.#background.forget(conn);
    if (this.#conns.size > 0) this.#followSockets();
    if (this.#conns.size > 0 || this.#state === 'closed' || this.#state === 'logging-out') return;
    if (this.#state === 'idle') {
      void this.#close('no sockets left before login');
      return;
    }
    this.#graceTimer = setTimeout(() => {
      this.#graceTimer = undefined;
      if (this.#conns.size === 0) void this.#close('grace period over', SOCKET_CLOSE_OPERATION_ID);
    }, this.#deps.gracePeriodMs);
    this.#graceTimer.unref();
  }

  /** Client Login. Resolves when this socket is logged in; rejects with GatewayError. */
  async login(conn: ClientConn, operationID: string, token: string): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'logging-out') throw GatewayError.sessionClosed();
    if (this.#state === 'logged-in') {
      this.#loggedIn.add(conn);
      this.#replayMissed(conn);
      this.#followSockets();
      return;
    }
    if (!this.#pendingLogin) {
      this.#pendingLogin = this.#runLogin(operationID, token).finally(() => {
        this.#pendingLogin = undefined;
      });
    }
    // A socket logging in already hears the login's own events (connecting, sync progress).
    this.#loggedIn.add(conn);
    try {
      await this.#pendingLogin;
    } catch (err) {
      this.#loggedIn.delete(conn);
      throw err;
    }
    if (!conn.open) this.#loggedIn.delete(conn);
  }

  async #runLogin(operationID: string, token: string): Promise<void> {
    this.#moveTo('logging-in');
    try {
      await this.#claimUser(operationID);
      await this.#startCoreAndLogin(operationID, token);
      if (this.#state !== 'logging-in') throw GatewayError.sessionClosed();
      this.#token = token;
      this.#moveTo('logged-in');
      this.#background.freshCore();
      this.#log.info({ operationID, workerId: this.#core?.workerId }, 'logged in');
    } catch (err) {
      // Back to a clean slate: a later Login starts over with a fresh core.
      await this.#dropCore();
      if (this.#state === 'logging-in') this.#moveTo('idle');
      this.#log.warn({ operationID, err: errorText(err) }, 'login failed');
      this.#closeToReconnect(err);
      throw err;
    }
  }

  /** Several nodes: holds the user in the directory (waiting for another node to let go) before any core logs in. */
  async #claimUser(operationID: string): Promise<void> {
    const ownership = this.#deps.ownership;
    if (ownership === undefined || this.#claim !== undefined) return;
    const claim = await ownership.claim(this.userID, this.platformID, operationID);
    if (this.#state !== 'logging-in') {
      await claim.release();
      throw GatewayError.sessionClosed();
    }
    this.#claim = claim;
  }

  /**
   * This node may not log the user in now (no lease, or another node holds the user): once the
   * Login answers have gone out, the sockets close with a code that makes clients reconnect, so
   * that one which reconnected before and now waits on an open socket tries again too.
   */
  #closeToReconnect(err: unknown): void {
    const closeCode = err instanceof GatewayError ? RECONNECT_ON.get(err.errCode) : undefined;
    if (closeCode === undefined) return;
    setImmediate(() => {
      if (this.#state === 'idle') void this.#close(`cannot log in here: ${errorText(err)}`, undefined, closeCode);
    });
  }

  async #startCoreAndLogin(operationID: string, token: string): Promise<void> {
    const core = this.#core ?? (await this.#createCore());
    await logCoreIn(core, {
      userID: this.userID,
      platformID: this.platformID,
      token,
      operationID,
      sdkConfig: this.#deps.sdkConfig(this.platformID),
      claim: this.#claim,
    });
  }

  async #createCore(): Promise<CoreHandle> {
    let core: CoreHandle;
    try {
      core = await this.#deps.pool.startCore({
        userID: this.userID,
        platformID: this.platformID,
        onEvent: (json) => this.#onCoreEvent(json),
      });
    } catch (err) {
      if (err instanceof CoreCallError) throw GatewayError.fromCore(err);
      throw err;
    }
    if (this.#state === 'closed') {
      // The session ended (last socket gone, kick, shutdown) while this core was starting.
      await core.dispose();
      throw GatewayError.sessionClosed();
    }
    this.#core = core;
    return core;
  }

  /**
   * Calls the core once the session is logged in, waiting for a login or recovery under
   * way; refused with 10004 otherwise.
   */
  async call(fn: string, operationID: string, args: unknown[]): Promise<CoreValue> {
    if (this.#pendingLogin) await this.#pendingLogin.catch(() => {});
    const core = this.#core;
    if (this.#state !== 'logged-in' || !core) throw GatewayError.notLoggedIn(fn);
    try {
      return await core.call(fn, operationID, args);
    } catch (err) {
      if (err instanceof CoreCallError) throw GatewayError.fromCore(err);
      throw err;
    }
  }

  /** What GetLoginStatus answers from the session's own state (1 out, 2 logging in, 3 in). */
  loginStatus(): number {
    switch (this.#state) {
      case 'logged-in':
        return 3;
      case 'logging-in':
      case 'recovering':
        return 2;
      default:
        return 1;
    }
  }

  isLoggedIn(conn?: ClientConn): boolean {
    return this.#state === 'logged-in' && (conn === undefined || this.#loggedIn.has(conn));
  }

  /** Client setAppBackgroundStatus: this socket's status; the shared core follows all of them (socket-background.ts). */
  async setBackground(conn: ClientConn, hidden: boolean, operationID: string): Promise<void> {
    if (this.#pendingLogin) await this.#pendingLogin.catch(() => {});
    if (!this.isLoggedIn(conn)) throw GatewayError.notLoggedIn('setAppBackgroundStatus');
    this.#background.set(conn, hidden);
    await this.#syncBackground(operationID);
  }

  /** Sockets came or went: the core follows them (errors are logged, nobody waits). */
  #followSockets(): void {
    this.#syncBackground(`background-${randomUUID()}`).catch((err: unknown) => {
      this.#log.warn({ err: errorText(err) }, "could not bring the core in line with its sockets' background status");
    });
  }

  #syncBackground(operationID: string): Promise<void> {
    const loggedIn = (): ReadonlySet<ClientConn> => (this.#state === 'logged-in' ? this.#loggedIn : new Set());
    return this.#background.sync(loggedIn, async (inBackground) => {
      await this.call('setAppBackgroundStatus', operationID, [inBackground]);
      this.#log.debug({ operationID, inBackground }, 'core background status changed');
    });
  }

  /**
   * Client Logout: logs the core out (with the IM server round-trip), answers the caller
   * through `reply`, tells the other sockets, closes them all and frees the core.
   */
  async logout(conn: ClientConn, operationID: string, reply: (result: { errCode: number; errMsg: string }) => void): Promise<void> {
    if (this.#pendingLogin) await this.#pendingLogin.catch(() => {});
    if (this.#state === 'closed' || this.#state === 'logging-out') {
      reply({ errCode: 0, errMsg: '' });
      conn.close(CLOSE_CODES.normal.code, CLOSE_CODES.normal.reason);
      return;
    }
    const wasLoggedIn = this.#state === 'logged-in';
    this.#moveTo('logging-out');
    this.#revokeTokens();
    let result = { errCode: 0, errMsg: '' };
    if (wasLoggedIn && this.#core) {
      try {
        await this.#core.call('logout', operationID, []);
      } catch (err) {
        // The session ends either way; the caller learns what the core said.
        const e = err instanceof CoreCallError ? GatewayError.fromCore(err) : GatewayError.internal(errorText(err));
        result = { errCode: e.errCode, errMsg: e.errMsg };
      }
    }
    reply(result);
    for (const other of this.#conns) {
      if (other === conn) continue;
      other.send({ ...connectionEvent(ENDED_BY_OTHER_TAB_EVENT), data: ENDED_BY_OTHER_TAB_DATA });
      other.send(connectionEvent('Logout'));
    }
    this.#log.info({ operationID }, 'logged out by client');
    await this.#close('logout');
  }

  /** Barrier: an event that cannot be delivered is logged and counted, never thrown into the pool. */
  #onCoreEvent(json: string): void {
    try {
      this.#deliverCoreEvent(json);
    } catch (err) {
      this.#log.error({ err, event: json.slice(0, 200) }, 'internal error while delivering a core event');
      this.#deps.onInternalError?.('event');
    }
  }

  #deliverCoreEvent(json: string): void {
    const t = this.#deps.translateEvent(json, this.userID);
    if (t.envelopes.length === 0 && t.coreEvent === undefined) {
      this.#log.warn({ event: json.slice(0, 200) }, 'core emitted an event that is not valid JSON');
      return;
    }
    const envelopes = t.envelopes.map((env) => withoutAddresses(env, t.coreEvent, this.#log));
    if (this.#loggedIn.size === 0 && this.#state === 'logged-in' && !t.endsSession) this.#missed.keep(envelopes);
    for (const conn of this.#loggedIn) for (const env of envelopes) conn.send(env);
    if (t.endsSession) {
      this.#log.info({ event: t.coreEvent }, 'session ended by the IM server');
      this.#revokeTokens();
      // The core already logged itself out; just free it.
      void this.#close(`core event ${t.coreEvent ?? ''}`);
    }
  }

  /** A socket logged in again after a gap: it gets what happened meanwhile, after its Login answer. */
  #replayMissed(conn: ClientConn): void {
    const missed = this.#missed.take();
    if (missed === undefined) return;
    if (missed.dropped > 0) this.#log.warn({ dropped: missed.dropped }, 'events lost while no socket was connected (replay buffer full)');
    setImmediate(() => {
      for (const env of missed.events) conn.send(env);
    });
  }

  /**
   * The pool lost this session's core. Worker losses are re-created and logged in again
   * transparently; a core that keeps crashing on its own is given up after a few tries.
   */
  recover(lost: CoreLost): void {
    if (this.#core?.id !== lost.coreId) return;
    this.#core = undefined;
    // Nothing to restore before login (the next Login starts a fresh core), nor once closing.
    if (this.#state !== 'logged-in' && this.#state !== 'recovering') return;
    if ((lost.reason === 'panic' || lost.reason === 'oom') && this.#crashes.spent(Date.now())) {
      const crashes = this.#crashes.count;
      this.#log.error({ reason: lost.reason, panics: crashes }, 'core keeps crashing; giving up on this session');
      this.#broadcast(connectionEvent('OnConnectFailed', 10006, `core crashed ${crashes} times within a minute: ${redactAddresses(lost.message)}`));
      void this.#close('repeated core crashes', undefined, CLOSE_CODES.coreFailed);
      return;
    }
    const token = this.#token;
    if (!token) return;
    this.#moveTo('recovering');
    this.#broadcast(connectionEvent('OnConnecting'));
    this.#log.warn({ reason: lost.reason }, `re-creating lost core: ${lost.message}`);
    this.#pendingLogin = this.#startCoreAndLogin(`recover-${randomUUID()}`, token)
      .then(
        () => {
          if (this.#state !== 'recovering') return;
          this.#moveTo('logged-in');
          this.#background.freshCore();
          this.#followSockets();
          this.#broadcast(connectionEvent('OnConnectSuccess'));
          this.#log.info({ workerId: this.#core?.workerId }, 'core re-created and logged in again');
        },
        async (err: unknown) => {
          this.#log.error({ err: errorText(err) }, 'could not re-create the lost core');
          this.#broadcast(connectionEvent('OnConnectFailed', 10006, `could not restore the session: ${redactAddresses(errorText(err))}`));
          await this.#close('recovery failed', undefined, CLOSE_CODES.coreFailed);
        },
      )
      .finally(() => {
        this.#pendingLogin = undefined;
      });
  }

  /** Operator kick: clients get OnKickedOffline (no auto-reconnect), the core is logged out locally. */
  async kick(why: string): Promise<void> {
    this.#revokeTokens();
    this.#broadcast(connectionEvent('OnKickedOffline'));
    await this.#close(why, SOCKET_CLOSE_OPERATION_ID);
  }

  /**
   * Several nodes: another node takes this user over (or this node lost its lease). Logs the
   * core out the socket-close way, closes the sockets with `closeCode` (clients reconnect, no
   * OnKickedOffline) and lets go of the user once the core is out.
   */
  async handOver(why: string, closeCode: { code: number; reason: string }): Promise<void> {
    // A login under way is not waited for: its core is disposed, which closes its IM socket too.
    await this.#close(why, SOCKET_CLOSE_OPERATION_ID, closeCode);
  }

  /** Server shutdown: log the core out the socket-close way, close sockets, free. */
  async shutdown(): Promise<void> {
    await this.#close('server shutdown', SOCKET_CLOSE_OPERATION_ID, CLOSE_CODES.goingAway);
  }

  /** The login token and every socket's handshake token stop being taken on trust. */
  #revokeTokens(): void {
    const tokens = new Set([...(this.#token ? [this.#token] : []), ...[...this.#conns].map((c) => c.identity.token)]);
    this.#deps.onTokensRevoked?.([...tokens], this.userID, this.platformID);
  }

  #broadcast(envelope: ClientEnvelope): void {
    for (const conn of this.#loggedIn) conn.send(envelope);
  }

  async #close(why: string, logoutOperationID?: string, closeCode: { code: number; reason: string } = CLOSE_CODES.normal): Promise<void> {
    if (this.#state === 'closed') return;
    const loggedIn = this.#state === 'logged-in';
    this.#moveTo('closed');
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    for (const conn of this.#conns) conn.close(closeCode.code, closeCode.reason);
    this.#conns.clear();
    this.#loggedIn.clear();
    this.#background.clear();
    let coreLoggedOut = false;
    if (loggedIn && logoutOperationID && this.#core) {
      // Local logout only (no IM round-trip): closes the core's DB and gateway socket.
      coreLoggedOut = await this.#core.call('logout', logoutOperationID, []).then(
        () => true,
        () => false,
      );
    }
    await this.#dropCore();
    this.#log.info({ why, coreLoggedOut }, 'session closed');
    this.#deps.onClosed(this);
  }

  /** Frees the core, then (several nodes) the user's hold: never before the core is out. */
  async #dropCore(): Promise<void> {
    // Both taken at once: a second caller meanwhile must not release the hold of a core still being disposed.
    const core = this.#core;
    const claim = this.#claim;
    this.#core = undefined;
    this.#claim = undefined;
    await core?.dispose();
    await claim?.release();
  }
}
