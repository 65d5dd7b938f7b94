/**
 * One core build's attack: the gateway CLI started with it, a bystander session, attacker
 * lanes before and after Login, then batch after batch of hostile inputs (per function, then
 * envelope-level, then handshake-level). After each batch: the process is alive, /healthz is
 * 200, the bystander answers promptly, every lane's session is as it was, RSS is within its
 * bound, /metrics counts no internal error, no core exit and no worker restart, and nothing
 * was logged at error level.
 *
 * A gateway that dies is started again and the attack goes on. The input in flight when it
 * died is its cause; when several were in flight (lanes run in parallel), each is sent again
 * alone to find which one it was.
 */
import { pino } from 'pino';
import { loadCoreBuild } from '../../core-wasm/core-build.ts';
import { CoreInstance } from '../../core-wasm/core-instance.ts';
import { issueUserToken } from '../../src/devserver/token-client.ts';
import { Bystander, type ProbeResult } from './attack-bystander.ts';
import { envelopeInputs, type FloodInput } from './attack-envelope.ts';
import { HandshakeAttack, type HandshakeFigures, type HandshakeUser } from './attack-handshake.ts';
import type { ImProxy } from './attack-im-proxy.ts';
import { expectationText, judgeAnswer } from './attack-judge.ts';
import { AttackLane, PLATFORM_ID, type LaneOutcome } from './attack-lane.ts';
import { LANE_STATES, ValuePicker, functionInputs, functionTargets, positionsOf, type AttackInput, type LaneState, type Self } from './attack-plan.ts';
import { type DevServerProcess, GatewayCli, type ProcFigures } from './attack-target.ts';
import { GatewayWatch } from './attack-watch.ts';
import type { Findings } from './findings.ts';
import { ImSocket, type Received } from './im-socket.ts';
import { Rng, sleep, withTimeout } from './timing.ts';

const MiB = 2 ** 20;
const MAX_CONNS_PER_USER = 10;
const BYSTANDER_INTERVAL_MS = 50;
const DEV_SECRET = 'openIM123';
const DEV_ADMIN = 'imAdmin';

export interface CoreAttackOptions {
  core: 'test' | 'official';
  dev: DevServerProcess;
  proxy: ImProxy;
  seed: number;
  /** Hostile values per (function, state, position); 0 = every light value of the catalog. */
  perSlot: number;
  /** (function, state, position) slots that also get every heavy (megabyte) value. */
  heavySlots: number;
  /** Envelope and handshake volume. */
  scale: 'full' | 'short';
  /** Whether this core's run goes on with envelope- and handshake-level abuse after the functions. */
  envelopeAndHandshake: boolean;
  lanesPerState: number;
  workers: number;
  /** performance.now() after which no further input is sent. */
  deadline: number;
  maxDeaths: number;
  rssGrowthBoundMiB: number;
  bystanderMs: number;
  answerTimeoutMs: number;
  hangThresholdMs: number;
  findings: Findings;
  log: (line: string) => void;
}

export interface CoreAttackResult {
  core: string;
  /** Functions attacked: table rows + the core's pass-through functions. */
  functions: number;
  planned: { functionInputs: number; envelopeInputs: number; floodFrames: number };
  tried: { functionInputs: number; envelopeInputs: number; floodFrames: number; handshakes: number };
  /** Functions that got at least one input answered (or refused) in each Login state. */
  covered: Record<LaneState, number>;
  /** Answers by errCode. */
  byCode: Record<string, number>;
  deaths: number;
  bystander: { asked: number; answered: number; maxMs: number };
  rss: { baselineMiB: number; peakGrowthMiB: number };
  procStart: ProcFigures | undefined;
  procEnd: ProcFigures | undefined;
  handshake: HandshakeFigures | undefined;
  stop: { code: number | null; signal: string | null } | undefined;
  /** Why the run stopped before its planned volume, if it did. */
  cutShort: string | undefined;
  seconds: number;
}

/** The loaded build's API globals, learnt as the gateway learns them: by starting one core. */
export async function coreFunctionNames(core: 'test' | 'official'): Promise<string[]> {
  const loaded = await loadCoreBuild(core, { memoryLimitMiB: 256 });
  const instance = await CoreInstance.start({ module: loaded.module, abi: loaded.identity.goAbi, name: 'attack-probe', logger: pino({ level: 'silent' }) });
  try {
    return instance.functionNames().sort();
  } finally {
    instance.dispose();
  }
}

class HarnessError extends Error {}

type Died = { died: AttackInput[] };

export class CoreAttack {
  readonly o: CoreAttackOptions;
  readonly #rng: Rng;
  #target!: GatewayCli;
  #lanes: AttackLane[] = [];
  #bystander: Bystander | undefined;
  #bystanderTotals = { asked: 0, answered: 0, maxMs: 0 };
  #bystanderProblems: Array<{ batch: string; result: ProbeResult }> = [];
  #users = new Map<string, Self>();
  #watch: GatewayWatch | undefined;
  /** Over every gateway process of the run (one more after each death). */
  #rss = { baselineMiB: 0, peakGrowthMiB: 0 };
  #batch = 'start-up';
  #deaths = 0;
  #cutShort: string | undefined;
  #byCode: Record<string, number> = {};
  #tried = { functionInputs: 0, envelopeInputs: 0, floodFrames: 0, handshakes: 0 };
  /** Inputs sent at least once (one sent again to find which of several killed the gateway counts once). */
  #sentIds = new Set<number>();
  #handshakeUsers: HandshakeUser[] = [];
  #covered: Record<LaneState, Set<string>> = { 'before-login': new Set(), 'after-login': new Set() };

  constructor(options: CoreAttackOptions) {
    this.o = options;
    this.#rng = new Rng(options.seed);
  }

  get #findings(): Findings {
    return this.o.findings;
  }

  #outOfTime(): boolean {
    if (performance.now() < this.o.deadline) return false;
    this.#cutShort ??= 'the time bound (--seconds) was reached';
    return true;
  }

  async run(): Promise<CoreAttackResult> {
    const started = performance.now();
    const coreFns = await coreFunctionNames(this.o.core);
    const targets = functionTargets(coreFns);
    const picker = new ValuePicker(this.o.perSlot, this.#rng);

    // Heavy values go to a few random slots: megabytes in every slot would take hours.
    const slots: string[] = [];
    for (const t of targets) for (const s of LANE_STATES) for (let p = 0; p < positionsOf(t); p++) slots.push(`${t.name}|${s}|${p}`);
    const heavy = new Set<string>();
    while (heavy.size < Math.min(this.o.heavySlots, slots.length)) heavy.add(this.#rng.pick(slots));
    const batches = targets.map((t) => ({
      name: t.name,
      inputs: LANE_STATES.flatMap((s) => {
        const at = new Set<number>();
        for (let p = 0; p < positionsOf(t); p++) if (heavy.has(`${t.name}|${s}|${p}`)) at.add(p);
        return functionInputs(t, s, picker, at);
      }),
    }));
    const envelope = this.o.envelopeAndHandshake ? LANE_STATES.map((s) => envelopeInputs(s, this.o.scale, this.#rng, new Set(coreFns))) : [];
    const envelopeBatches = new Map<string, AttackInput[]>();
    for (const e of envelope) for (const i of e.inputs) envelopeBatches.set(i.batch, [...(envelopeBatches.get(i.batch) ?? []), i]);
    const floods = envelope.flatMap((e) => e.floods);
    const planned = {
      functionInputs: batches.reduce((n, b) => n + b.inputs.length, 0),
      envelopeInputs: [...envelopeBatches.values()].reduce((n, b) => n + b.length, 0),
      floodFrames: floods.reduce((n, f) => n + f.count, 0),
    };
    this.o.log(
      `${this.o.core} core: ${targets.length} functions (${targets.filter((t) => t.row === undefined).length} pass-through), ${planned.functionInputs} function inputs, ${planned.envelopeInputs} envelope inputs, ${floods.length} floods (${planned.floodFrames} frames), handshakes`,
    );

    let procStart: ProcFigures | undefined;
    let procEnd: ProcFigures | undefined;
    let stop: CoreAttackResult['stop'];
    let handshake: HandshakeFigures | undefined;
    try {
      await this.#mintUsers();
      await this.#start();
      this.o.log(`${this.o.core} core: gateway up after ${((performance.now() - started) / 1000).toFixed(1)} s`);
      procStart = this.#target.proc();
      let done = 0;
      for (const b of batches) {
        if (this.#cutShort || this.#outOfTime()) break;
        await this.#runBatch(b.name, b.inputs, []);
        if (++done % 20 === 0) this.o.log(`${this.o.core} core: ${done}/${batches.length} functions, ${this.#findings.size} findings, ${this.#deaths} deaths`);
      }
      const phase = (what: string): void => this.o.log(`${this.o.core} core: ${what} after ${((performance.now() - started) / 1000).toFixed(1)} s`);
      phase('functions done');
      for (const [name, inputs] of envelopeBatches) {
        if (this.#cutShort || this.#outOfTime()) break;
        await this.#runBatch(name, inputs, []);
      }
      phase('envelopes done');
      if (!this.#cutShort && !this.#outOfTime()) await this.#runBatch('envelope: floods', [], floods);
      phase('floods done');
      if (this.o.envelopeAndHandshake && !this.#cutShort && !this.#outOfTime()) handshake = await this.#handshakes();
      this.o.log(`${this.o.core} core: done, ${this.#findings.size} findings, ${this.#deaths} deaths`);
    } catch (err) {
      if (!(err instanceof HarnessError)) throw err;
      this.#findings.add('harness', err.message, this.#batch, '');
      this.#cutShort ??= `the harness could not go on: ${err.message}`;
    } finally {
      await this.#stopClients();
      procEnd = this.#target?.alive ? await this.#watch?.settled(procStart) : undefined;
      if (this.#target) {
        const wasAlive = this.#target.alive;
        stop = await this.#target.stop();
        if (wasAlive && stop.code !== 0) {
          this.#findings.add(
            'gateway',
            `did not stop cleanly on SIGTERM after the attack (code ${stop.code}, signal ${stop.signal})`,
            '',
            this.#target.stderrTail.slice(-20).join('\n'),
          );
        }
      }
    }
    return {
      core: this.o.core,
      functions: targets.length,
      planned,
      tried: { ...this.#tried },
      covered: { 'before-login': this.#covered['before-login'].size, 'after-login': this.#covered['after-login'].size },
      byCode: this.#byCode,
      deaths: this.#deaths,
      bystander: { ...this.#bystanderTotals },
      rss: { ...this.#rss },
      procStart,
      procEnd,
      handshake,
      stop,
      cutShort: this.#cutShort,
      seconds: round((performance.now() - started) / 1000),
    };
  }

  // --- the gateway and its clients --------------------------------------------------------

  async #mintUsers(): Promise<void> {
    const names = [
      'by',
      'stranger',
      ...Array.from({ length: this.o.lanesPerState }, (_, i) => [`b${i}`, `a${i}`]).flat(),
      ...Array.from({ length: 8 }, (_, i) => `h${i}`),
    ];
    const tokens = await Promise.all(
      names.map(async (n) => {
        const userID = `atk_${this.o.core}_${n}`;
        return { n, userID, token: await issueUserToken(this.o.dev.apiUrl, { userID, platformID: PLATFORM_ID, secret: DEV_SECRET, adminUserID: DEV_ADMIN }) };
      }),
    );
    for (const t of tokens) this.#users.set(t.n, { userID: t.userID, token: t.token });
    this.#handshakeUsers = tokens.filter((t) => /^h\d+$/.test(t.n)).map((t) => ({ userID: t.userID, token: t.token }));
  }

  #user(n: string): Self {
    const u = this.#users.get(n);
    if (!u) throw new Error(`no user ${n}`);
    return u;
  }

  async #start(): Promise<void> {
    this.#target = await GatewayCli.start({
      core: this.o.core,
      openimApi: this.o.proxy.url,
      openimWs: this.o.dev.wsUrl,
      workers: this.o.workers,
      maxConnsPerUser: MAX_CONNS_PER_USER,
      hangThresholdMs: this.o.hangThresholdMs,
    });
    const url = this.#target.url;
    const by = this.#user('by');
    const bySocket = await ImSocket.open(url, { sendID: by.userID, token: by.token, platformID: PLATFORM_ID });
    const login = await bySocket.request('Login', [by.userID, by.token], { timeoutMs: 30_000 });
    if (login.env.errCode !== 0) throw new HarnessError(`bystander Login failed: ${login.raw.slice(0, 300)}`);
    this.#bystander = new Bystander(bySocket, this.o.bystanderMs, (result) => this.#bystanderProblems.push({ batch: this.#batch, result }));
    if (this.#lanes.length === 0) {
      for (const state of LANE_STATES) {
        for (let i = 0; i < this.o.lanesPerState; i++) {
          const n = `${state === 'before-login' ? 'b' : 'a'}${i}`;
          this.#lanes.push(new AttackLane(n, this.#user(n), state, url));
        }
      }
    }
    await Promise.all(this.#lanes.map((l) => this.#reopen(l, url)));
    this.#bystander.start(BYSTANDER_INTERVAL_MS);
    // The baseline is taken with every session logged in and idle for a moment.
    await sleep(500);
    this.#watch = new GatewayWatch(this.#target, this.o.rssGrowthBoundMiB, this.#findings);
    await this.#watch.start();
  }

  async #stopClients(): Promise<void> {
    if (this.#watch) {
      this.#watch.stop();
      this.#rss = {
        baselineMiB: Math.max(this.#rss.baselineMiB, round(this.#watch.baselineRss / MiB)),
        peakGrowthMiB: Math.max(this.#rss.peakGrowthMiB, round(this.#watch.peakGrowth / MiB)),
      };
    }
    if (this.#bystander) {
      await this.#bystander.stop();
      this.#bystanderTotals.asked += this.#bystander.asked;
      this.#bystanderTotals.answered += this.#bystander.answered;
      this.#bystanderTotals.maxMs = Math.max(this.#bystanderTotals.maxMs, Math.round(this.#bystander.maxMs));
      this.#bystander.socket.terminate();
      this.#bystander = undefined;
    }
    for (const l of this.#lanes) l.close();
  }

  async #restart(): Promise<void> {
    await this.#stopClients();
    await this.#target.stop();
    // What the bystander saw while the process was gone is the death, already reported.
    this.#bystanderProblems = [];
    this.o.log(`${this.o.core} core: gateway died (${this.#deaths} so far); starting it again`);
    await this.#start();
  }

  async #reopen(lane: AttackLane, url = this.#target.url): Promise<void> {
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await lane.open(url);
        return;
      } catch (err) {
        last = err;
        if (!this.#target.alive) return; // the death is handled by the caller
        await sleep(1000);
      }
    }
    throw new HarnessError(`cannot open lane ${lane.name} (${lane.state}) again: ${String(last)}`);
  }

  async #died(): Promise<boolean> {
    if (!this.#target.alive) return true;
    await Promise.race([this.#target.exited, sleep(500)]);
    return !this.#target.alive;
  }

  // --- batches ----------------------------------------------------------------------------

  async #runBatch(name: string, inputs: readonly AttackInput[], floods: readonly FloodInput[]): Promise<void> {
    this.#batch = name;
    const queue: Record<LaneState, AttackInput[]> = { 'before-login': [], 'after-login': [] };
    for (const i of inputs) queue[i.state].push(i);
    for (;;) {
      const r = await this.#drain(queue);
      if (!r) break;
      await this.#afterDeath(r.died);
      if (this.#cutShort) return;
    }
    for (const f of floods) {
      if (this.#cutShort || this.#outOfTime()) return;
      const died = await this.#flood(f);
      if (died) {
        this.#deaths++;
        this.#reportDeath(f.label, f.state);
        await this.#restartOrStop();
        if (this.#cutShort) return;
      }
    }
    if (this.#cutShort || !this.#target.alive) return;
    await this.#checkAfterBatch(name);
  }

  /** Lanes take inputs of their state from the queue until it is empty, time is up, or the gateway dies. */
  async #drain(queue: Record<LaneState, AttackInput[]>): Promise<Died | undefined> {
    const inFlight = new Set<AttackInput>();
    let died = false;
    await Promise.all(
      this.#lanes.map(async (lane) => {
        const q = queue[lane.state];
        while (!died && !this.#outOfTime()) {
          const input = q.shift();
          if (!input) return;
          inFlight.add(input);
          if ((await this.#sendOne(lane, input)) === 'died') {
            died = true;
            return;
          }
          inFlight.delete(input);
        }
      }),
    );
    return died ? { died: [...inFlight] } : undefined;
  }

  async #afterDeath(inFlight: readonly AttackInput[]): Promise<void> {
    this.#deaths++;
    const only = inFlight.length === 1 ? inFlight[0] : undefined;
    if (only) this.#reportDeath(only.label, only.state);
    const firstTail = this.#target.stderrTail.slice(-25).join('\n');
    await this.#restartOrStop();
    if (only || this.#cutShort) return;
    // Several were in flight: send each again alone to find the one that kills.
    let found = false;
    for (const suspect of inFlight) {
      if (this.#cutShort) return;
      const r = await this.#drain({ 'before-login': [], 'after-login': [], [suspect.state]: [suspect] });
      if (r) {
        found = true;
        this.#deaths++;
        this.#reportDeath(suspect.label, suspect.state);
        await this.#restartOrStop();
      }
    }
    if (!found) {
      const labels = inFlight.map((i) => `${i.label} [${i.state}]`).join('\n');
      this.#findings.add(
        'process',
        'gateway process died with several inputs in flight, none of which killed it again alone',
        labels || '(none in flight)',
        firstTail,
        this.#batch,
      );
    }
  }

  async #restartOrStop(): Promise<void> {
    if (this.#deaths >= this.o.maxDeaths) {
      this.#cutShort = `the gateway died ${this.#deaths} times (--max-deaths)`;
      return;
    }
    await this.#restart();
  }

  #reportDeath(label: string, state: LaneState): void {
    const tail = this.#target.stderrTail;
    // The first line naming an error says why; one finding per distinct cause.
    const cause = tail.find((l) => /^\s*\w*(Error|Exception)\b/.test(l))?.trim() ?? 'no error line on stderr';
    const exit = this.#target.exit;
    this.#findings.add(
      'process',
      `gateway process died (exit code ${exit?.code ?? '?'}, signal ${exit?.signal ?? 'none'}): ${cause.slice(0, 160)}`,
      `${label} [${state}]`,
      tail.slice(-25).join('\n'),
      this.#batch,
    );
  }

  /** Sends one input on `lane` and judges what came back. */
  async #sendOne(lane: AttackLane, input: AttackInput): Promise<'ok' | 'died'> {
    const { frame, binary, sent } = input.render(lane.user);
    const outcome: LaneOutcome = await lane.send(frame, binary, sent, this.o.answerTimeoutMs);
    if (!this.#sentIds.has(input.id)) {
      this.#sentIds.add(input.id);
      if (input.batch.startsWith('envelope')) this.#tried.envelopeInputs++;
      else this.#tried.functionInputs++;
    }
    if (!input.batch.startsWith('envelope')) this.#covered[input.state].add(input.batch);
    if (outcome.kind !== 'answer' && (await this.#died())) return 'died';
    const report = (problem: string, observed: string): void => this.#findings.add('answer', problem, `${input.label} [${input.state}]`, observed, input.batch);
    let reopen = false;
    if (outcome.kind === 'answer') {
      const { r } = outcome;
      this.#byCode[r.env.errCode] = (this.#byCode[r.env.errCode] ?? 0) + 1;
      if (input.closes !== undefined) report(`answered instead of closing the socket with ${input.closes}`, r.raw.slice(0, 400));
      else for (const p of judgeAnswer(input.expect, sent, r)) report(p, `${r.raw.slice(0, 600)} (expected ${expectationText(input.expect)})`);
      for (const m of outcome.malformed) report('a frame back that is not a proper envelope', `${m.shapeProblem}: ${m.raw.slice(0, 300)}`);
      for (const e of outcome.trouble) report(`session event ${e} right after this input`, r.raw.slice(0, 300));
      if (sent.name === 'Logout' && r.env.errCode === 0) {
        // A successful Logout ends the session by design: the server closes the socket.
        const closed = await withTimeout(lane.socket!.closed, 5000, 'close after Logout').catch(() => undefined);
        if (!closed) report('socket not closed after a successful Logout', r.raw.slice(0, 300));
        reopen = true;
      } else if (lane.socket?.isClosed) {
        const c = await lane.socket.closed;
        report(`socket closed (${c.code} ${c.reason}) after answering`, r.raw.slice(0, 300));
        reopen = true;
      }
    } else if (outcome.kind === 'closed') {
      if (outcome.code !== input.closes) report(`socket closed (${outcome.code} ${outcome.reason}) instead of answering`, `after ${outcome.ms.toFixed(0)} ms`);
      reopen = true;
    } else {
      if (outcome.malformed.length > 0)
        report('answered with a frame that is not a proper envelope', outcome.malformed.map((m) => `${m.shapeProblem}: ${m.raw.slice(0, 300)}`).join('\n'));
      else report(`no answer within ${this.o.answerTimeoutMs} ms`, input.closes !== undefined ? `expected a close with ${input.closes}` : expectationText(input.expect));
      reopen = true;
    }
    if (reopen) await this.#reopen(lane);
    return 'ok';
  }

  /** A flood on the first lane of its state; true when the gateway died of it. */
  async #flood(f: FloodInput): Promise<boolean> {
    const lane = this.#lanes.find((l) => l.state === f.state);
    if (!lane) return false;
    const frames = f.render(lane.user);
    const res = await lane.burst(frames, Math.max(30_000, this.o.answerTimeoutMs));
    if (!this.#sentIds.has(f.id)) {
      this.#sentIds.add(f.id);
      this.#tried.floodFrames += frames.length;
    }
    if (res.closed && (await this.#died())) return true;
    const report = (problem: string, observed: string): void => this.#findings.add('answer', problem, `${f.label} [${f.state}]`, observed, f.batch);
    const byOp = new Map(frames.map((fr) => [fr.sent.echoOpID ?? '', fr.sent]));
    for (const r of res.answers) {
      this.#byCode[r.env.errCode] = (this.#byCode[r.env.errCode] ?? 0) + 1;
      const sent = byOp.get(r.env.operationID) ?? (frames[0] as (typeof frames)[number]).sent;
      for (const p of judgeAnswer(f.expect, sent, r)) report(`flood: ${p}`, r.raw.slice(0, 400));
    }
    const answered = new Set(res.answers.map((r: Received) => r.env.operationID));
    const missing = frames[0]?.sent.echoOpID === '' ? frames.length - res.answers.length : frames.filter((fr) => !answered.has(fr.sent.echoOpID ?? '')).length;
    if (missing > 0)
      report(
        `flood: ${missing} of ${frames.length} frames not answered within ${(res.ms / 1000).toFixed(0)} s`,
        res.closed ? `socket closed ${res.closed.code} ${res.closed.reason}` : 'socket open',
      );
    if (res.closed) await this.#reopen(lane);
    return false;
  }

  async #checkAfterBatch(name: string): Promise<void> {
    const add = (area: string, problem: string, observed: string): void => this.#findings.add(area, problem, `after batch ${name}`, observed, name);
    const [statuses] = await Promise.all([
      Promise.all(this.#lanes.map((lane) => lane.status(this.o.answerTimeoutMs))),
      this.#bystander?.probe(),
      this.#watch?.check(add),
    ]);
    for (const p of this.#bystanderProblems.splice(0)) {
      this.#findings.add(
        'bystander',
        `bystander GetLoginStatus not answered "3" within ${this.o.bystanderMs} ms`,
        `during batch ${p.batch}`,
        `${p.result.observed} after ${p.result.ms.toFixed(0)} ms`,
        p.batch,
      );
    }
    for (const [i, lane] of this.#lanes.entries()) {
      const st = statuses[i] as { ok: boolean; observed: string };
      if (!st.ok) {
        add('lane', `a ${lane.state} lane's session is not as it was after a batch`, st.observed);
        await this.#reopen(lane);
      }
    }
  }

  async #handshakes(): Promise<HandshakeFigures> {
    // HandshakeAttack reads the port at each dial: the target may have been restarted since.
    const currentPort = (): number => this.#target.port;
    let next = 0;
    const hs = new HandshakeAttack({
      get port() {
        return currentPort();
      },
      imHosts: [new URL(this.o.dev.apiUrl).host, new URL(this.o.proxy.url).host, new URL(this.o.dev.wsUrl).host],
      proxy: this.o.proxy,
      maxConnsPerUser: MAX_CONNS_PER_USER,
      users: () => this.#handshakeUsers[next++ % this.#handshakeUsers.length] as HandshakeUser,
      strangerToken: this.#user('stranger').token,
      findings: this.#findings,
      seed: this.o.seed,
    });
    const full = this.o.scale === 'full';
    const steps: Array<[string, () => Promise<void>]> = [
      ['handshake: malformed and wrong', () => hs.malformed()],
      ['handshake: half-sent heads held open', () => hs.slowHeads(full ? 200 : 30, full ? 3000 : 1000)],
      ['handshake: victim lockout by slow verifications', () => hs.victimLockout(full ? 3000 : 800)],
      ['handshake: one refused token again and again', () => hs.refusedTokenFlood(full ? 50 : 10)],
      ['handshake: many concurrent slowly refused tokens', () => hs.concurrentFlood(full ? 300 : 50, full ? 1500 : 800)],
      ['handshake: one user, many sockets at once', () => hs.oneUserCrowd(full ? 40 : 15)],
    ];
    for (const [name, step] of steps) {
      if (this.#cutShort || this.#outOfTime()) break;
      this.#batch = name;
      const before = hs.figures.handshakes;
      await step();
      this.#tried.handshakes += hs.figures.handshakes - before;
      if (await this.#died()) {
        this.#deaths++;
        this.#reportDeath(name, 'before-login');
        await this.#restartOrStop();
        continue;
      }
      // Handshakes may leave sockets closing: give the gateway a moment before judging it.
      await sleep(200);
      await this.#checkAfterBatch(name);
    }
    return hs.figures;
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
