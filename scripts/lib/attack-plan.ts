/**
 * The attack harness's inputs for each function a client can name: every row of the
 * protocol table (`REQUESTS`) and every pass-through function of the loaded core, each
 * with hostile values in every argument position and with wrong argument counts, before
 * and after Login. Each input carries the answer the protocol gives it:
 *
 *  - a value that breaks a documented limit in the request → 20006 naming the limit;
 *  - a row the server does not serve (client-only), or whose core function the loaded core
 *    lacks → 20002;
 *  - a wrong argument count, or a value of the wrong type for its parameter → 10002;
 *  - Login with anything but the socket's own user and token → an error;
 *  - anything else may be valid: success or the core's own error, but never 20006 and never
 *    an internal error (that holds for every input).
 *
 * The parameter types come from the request table, the one place they are written down;
 * what each type accepts is modelled here from README's rules, not imported from the checks.
 */
import { REQUESTS, SERVER_MANAGED_FUNCTIONS, type ClientRequestName } from '../../src/protocol/requests/table.ts';
import type { ParamSpec, RequestRule } from '../../src/protocol/requests/rules.ts';
import { CODES, type Expectation, type SentFrame } from './attack-judge.ts';
import { responseEventFor } from './fuzz-frames.ts';
import { DOCUMENTED_LIMITS, hostileValues, type HostileValue, type LimitName, type ValueGroup } from './attack-values.ts';
import type { Rng } from './timing.ts';

export type LaneState = 'before-login' | 'after-login';
export const LANE_STATES: readonly LaneState[] = ['before-login', 'after-login'];

/** The lane's own user: Login's userID and token must be these. */
export interface Self {
  userID: string;
  token: string;
}

export interface AttackInput {
  /** Unique in the run; also the frame's operationID suffix. */
  id: number;
  /** The batch it belongs to (a function name, or an envelope/handshake theme). */
  batch: string;
  state: LaneState;
  /** For reports: what was sent. */
  label: string;
  heavy: boolean;
  expect: Expectation;
  /** The frame for a lane of this user, and what judging its answer needs. */
  render(self: Self): { frame: string | Buffer; binary: boolean; sent: SentFrame };
  /** A close code the socket must be closed with instead of an answer (e.g. 1009). */
  closes?: number;
}

/** A function a client can name, and where it comes from. */
export interface FunctionTarget {
  name: string;
  /** The table row, or undefined for a pass-through function of the core. */
  row: RequestRule | undefined;
  /** For rows served by the core: whether the loaded core has the row's function. */
  inCore: boolean;
}

/**
 * Test-core hooks that crash, hang or bloat their core on purpose: hostile input to them
 * proves nothing about the gateway, so the harness leaves them out.
 */
const FAULT_INJECTION_FUNCTIONS: ReadonlySet<string> = new Set(['debugPanic', 'debugHang', 'debugAllocate']);

const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Every table row, then every pass-through function of a core with these globals. */
export function functionTargets(coreFunctions: readonly string[]): FunctionTarget[] {
  const core = new Set(coreFunctions);
  const rows = (Object.keys(REQUESTS) as ClientRequestName[]).map((name): FunctionTarget => {
    const row = REQUESTS[name];
    return { name, row, inCore: row.kind === 'core' ? core.has(row.fn) : true };
  });
  const passThrough = coreFunctions
    .filter((fn) => !SERVER_MANAGED_FUNCTIONS.has(fn) && !FAULT_INJECTION_FUNCTIONS.has(fn))
    .map(upperFirst)
    .filter((name) => !Object.hasOwn(REQUESTS, name))
    .map((name): FunctionTarget => ({ name, row: undefined, inCore: true }));
  return [...rows, ...passThrough];
}

/** JSON text of a value each parameter type certainly accepts (the other positions' filler). */
function baseline(p: ParamSpec): string {
  switch (p.type) {
    case 'string':
      return '"x"';
    case 'int':
    case 'number':
      return '1';
    case 'bool':
      return 'false';
    case 'json':
      return JSON.stringify(p.json === 'array' ? '[]' : '{}');
  }
}

/**
 * Whether the parameter takes the value: yes, no, its JSON text is beyond a limit, or either
 * is right (a list parameter that also takes one bare ID, given JSON too big to read).
 */
function accepts(p: ParamSpec, v: HostileValue): 'yes' | 'no' | 'either' | { beyond: readonly LimitName[] } {
  const k = v.kind;
  if (k.type === 'null') return p.whenNull !== undefined ? 'yes' : 'no';
  switch (p.type) {
    case 'string':
      return k.type === 'string' && !(p.nonEmpty && k.empty) ? 'yes' : 'no';
    case 'int':
      return k.type === 'number' && Number.isSafeInteger(k.value) && (!p.range || (k.value >= p.range[0] && k.value <= p.range[1])) ? 'yes' : 'no';
    case 'number':
      return k.type === 'number' && Number.isFinite(k.value) ? 'yes' : 'no';
    case 'bool':
      return k.type === 'bool' ? 'yes' : 'no';
    case 'json': {
      if (k.type === 'object') return p.objectStringified ? 'yes' : 'no';
      if (k.type !== 'string') return 'no';
      if (k.empty && p.emptyAllowed) return 'yes';
      // The gateway parses the text, so its own limits apply first.
      if (k.jsonText.beyond.length > 0) return p.bareStringAsList ? 'either' : { beyond: k.jsonText.beyond };
      const { holds } = k.jsonText;
      if (p.json === 'array' ? holds === 'array' || holds === 'null' : holds === 'object') return 'yes';
      return p.bareStringAsList && !k.empty ? 'yes' : 'no';
    }
  }
}

/** One request's arguments: JSON texts in order, and what the protocol makes of them. */
interface ArgsCase {
  label: string;
  args: readonly string[];
  expect: Expectation;
  heavy: boolean;
  /** Login's own user in argument 1 (filled in per lane). */
  selfAt?: number;
  tokenAt?: number;
}

function dataText(args: readonly string[]): string {
  return `[${args.join(',')}]`;
}

/**
 * Limits the request breaks with these arguments, whatever the function. (The `data` text
 * is a JSON text of its own: its strings are bounded, not its length; the frame is bounded
 * by its size.)
 */
function structuralLimits(args: readonly string[], values: readonly HostileValue[]): LimitName[] {
  const limits = new Set<LimitName>(values.flatMap((v) => v.beyond));
  if (args.length > DOCUMENTED_LIMITS.entries) limits.add('entries');
  return [...limits];
}

function expectationFor(t: FunctionTarget, args: readonly string[], hostile: readonly HostileValue[], position: number | undefined): Expectation {
  const limits = structuralLimits(args, hostile);
  if (limits.length > 0) return { kind: 'limit', limits };
  const row = t.row;
  if (row === undefined) return { kind: 'valid' };
  if (row.kind === 'client-only') return { kind: 'codes', codes: [CODES.unknownFunction] };
  const required = row.params.findLastIndex((p) => p.whenMissing === undefined) + 1;
  if (args.length < required || args.length > row.params.length) return { kind: 'codes', codes: [CODES.args] };
  if (position !== undefined) {
    const verdict = accepts(row.params[position] as ParamSpec, hostile[0] as HostileValue);
    if (verdict === 'no') return { kind: 'codes', codes: [CODES.args] };
    if (verdict === 'either') return { kind: 'any' };
    if (verdict !== 'yes') return { kind: 'limit', limits: verdict.beyond };
  }
  if (row.kind === 'core' && !t.inCore) return { kind: 'codes', codes: [CODES.unknownFunction] };
  // Login for anyone but the socket's user, or with another token, is refused.
  if (row.kind === 'session' && row.fn === 'login') return position === 0 ? { kind: 'codes', codes: [CODES.args] } : { kind: 'error' };
  return { kind: 'valid' };
}

/** Wrong argument counts: all four, or (short runs) two per Login state, so both states see all four. */
export type CountCases = 'all' | LaneState;

/** Argument cases for one function: each picked value in each position, then wrong counts. */
function argsCases(t: FunctionTarget, pickFor: (position: number) => readonly HostileValue[], countCases: CountCases): ArgsCase[] {
  const row = t.row;
  const params = row && row.kind !== 'client-only' ? row.params : undefined;
  const isLogin = row?.kind === 'session' && row.fn === 'login';
  // Pass-through functions have no known signature: a hostile value after 0, 1 or 2 fillers.
  const filler = params ? params.map(baseline) : ['"x"', '"x"', '"x"'];
  const positions = params ? params.length : row?.kind === 'client-only' ? 1 : 3;
  const cases: ArgsCase[] = [];
  for (let i = 0; i < positions; i++) {
    for (const v of pickFor(i)) {
      const args = params ? [...filler] : filler.slice(0, i + 1);
      args[i] = v.json;
      const position = params ? i : undefined;
      cases.push({
        label: `arg ${i + 1}${params ? ` (${(params[i] as ParamSpec).name})` : ''} = ${v.label}`,
        args,
        expect: expectationFor(t, args, [v], position),
        heavy: v.heavy,
        ...(isLogin && i !== 0 ? { selfAt: 0 } : {}),
        ...(isLogin && i !== 1 ? { tokenAt: 1 } : {}),
      });
    }
  }
  const counts: Array<[string, string[]]> = [
    ['no arguments', []],
    ['one argument too many', [...(params ? filler : []), '"x"']],
    [`${DOCUMENTED_LIMITS.entries} arguments`, new Array<string>(DOCUMENTED_LIMITS.entries).fill('"x"')],
    [`${DOCUMENTED_LIMITS.entries + 1} arguments`, new Array<string>(DOCUMENTED_LIMITS.entries + 1).fill('"x"')],
  ];
  const chosen = countCases === 'all' ? counts : counts.filter((_, i) => i % 2 === (countCases === 'before-login' ? 0 : 1));
  for (const [label, args] of chosen) {
    let expect = expectationFor(t, args, [], undefined);
    // A parameterless Login cannot succeed either; no count of "x" is a valid Login.
    if (isLogin && expect.kind === 'valid') expect = { kind: 'codes', codes: [CODES.args] };
    cases.push({ label, args, expect, heavy: false });
  }
  return cases;
}

function requestFrame(name: string, data: string, operationID: string): string {
  return `{"reqFuncName":${JSON.stringify(name)},"operationID":${JSON.stringify(operationID)},"userID":"attacker","data":${JSON.stringify(data)}}`;
}

/** Picks the values for each slot: all light ones, or `perSlot` spread over the groups. */
export class ValuePicker {
  readonly #light: readonly HostileValue[];
  readonly #byGroup: ReadonlyMap<ValueGroup, readonly HostileValue[]>;
  readonly heavy: readonly HostileValue[];

  constructor(
    readonly perSlot: number,
    readonly rng: Rng,
  ) {
    const all = hostileValues();
    this.#light = all.filter((v) => !v.heavy);
    this.heavy = all.filter((v) => v.heavy);
    const groups = new Map<ValueGroup, HostileValue[]>();
    for (const v of this.#light) groups.set(v.group, [...(groups.get(v.group) ?? []), v]);
    this.#byGroup = groups;
  }

  /** Light values for one slot. */
  pick(): readonly HostileValue[] {
    if (this.perSlot === 0) return this.#light;
    const groups = [...this.#byGroup.values()];
    const out: HostileValue[] = [];
    for (let i = 0; i < this.perSlot; i++) {
      const group = groups[i % groups.length] as readonly HostileValue[];
      out.push(this.rng.pick(group));
    }
    return out;
  }
}

let nextId = 0;

/**
 * The function's inputs for one lane state. `heavyAt` adds heavy values in those positions;
 * a picker of a few values per slot (a short run) also takes only half the wrong counts.
 */
export function functionInputs(t: FunctionTarget, state: LaneState, picker: ValuePicker, heavyAt: ReadonlySet<number>): AttackInput[] {
  const cases = argsCases(t, (position) => (heavyAt.has(position) ? [...picker.pick(), ...picker.heavy] : picker.pick()), picker.perSlot === 0 ? 'all' : state);
  return cases.map((c): AttackInput => {
    const id = ++nextId;
    const opID = `atk-${id}`;
    return {
      id,
      batch: t.name,
      state,
      label: `${t.name} ${c.label}`,
      heavy: c.heavy,
      expect: c.expect,
      render(self) {
        const args = [...c.args];
        if (c.selfAt !== undefined) args[c.selfAt] = JSON.stringify(self.userID);
        if (c.tokenAt !== undefined) args[c.tokenAt] = JSON.stringify(self.token);
        const data = dataText(args);
        return {
          frame: requestFrame(t.name, data, opID),
          binary: false,
          sent: { echoOpID: opID, binary: false, expectEvent: responseEventFor(t.name), name: t.name },
        };
      },
    };
  });
}

/** A fresh input id (for inputs built elsewhere: envelopes). */
export function newInputId(): number {
  return ++nextId;
}

/** How many argument positions `t` has (pass-through functions: 3 tried). */
export function positionsOf(t: FunctionTarget): number {
  const row = t.row;
  if (row === undefined) return 3;
  return row.kind === 'client-only' ? 1 : row.params.length;
}
