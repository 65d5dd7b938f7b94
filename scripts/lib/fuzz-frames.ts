/**
 * Envelope fuzzing: arbitrary frames on a logged-in socket, each judged on its response,
 * then a GetLoginStatus on the same socket to prove it is still usable and logged in.
 *
 * Each generated frame carries what the protocol (README "Protocol for client authors")
 * says it must get: a specific errCode for frames that are wrong in one known way, 20006 for
 * structures beyond a documented limit, any proper answer for arguments that may be right —
 * but never an internal error (lib/attack-judge.ts judges every answer). The request names
 * come from the client itself (open-im-sdk's RequestApi); the argument shapes from the
 * gateway's request table, the one place they are written down. Besides shallow random
 * JSON, the `deep-*` categories nest arrays and objects from a few levels to thousands, and
 * make them as wide as the entries limit and beyond, in arguments, in JSON-text arguments,
 * in objects the gateway re-serialises, and in the frame itself.
 */
import fc from 'fast-check';
import { CbEvents, RequestApi } from 'open-im-sdk';
import { REQUESTS, type ClientRequestName } from '../../src/protocol/requests/table.ts';
import type { ParamSpec, RequestRule } from '../../src/protocol/requests/rules.ts';
import { CODES, judgeAnswer, type Expectation } from './attack-judge.ts';
import { DOCUMENTED_LIMITS, type LimitName } from './attack-values.ts';
import { ImSocket, type Received } from './im-socket.ts';
import type { Findings } from './findings.ts';
import type { GatewayProcess } from './gateway-process.ts';
import { StepTimeout, withTimeout } from './timing.ts';

/** Every name client 3.5.2 can send. */
export const CLIENT_REQUEST_NAMES: readonly string[] = Object.values(RequestApi);
/** Names the client emits to listeners instead of settling a request. */
export const CLIENT_EVENT_NAMES: ReadonlySet<string> = new Set(Object.values(CbEvents));
/** Events after which the session ends by design (the IM kicked the user). */
const SESSION_ENDING_EVENTS: ReadonlySet<string> = new Set(['OnKickedOffline', 'OnUserTokenExpired', 'OnUserTokenInvalid']);
/**
 * Test-core hooks that crash, hang or bloat their core on purpose: calling them proves
 * nothing about the gateway's input handling, so the fuzzer never does.
 */
const FAULT_INJECTION_FUNCTIONS: ReadonlySet<string> = new Set(['debugPanic', 'debugHang', 'debugAllocate']);
/** Core globals the gateway keeps to itself; by name they must be refused (20002). */
const SERVER_OWNED_NAMES = ['InitSDK', 'UnInitSDK', 'CommonEventFunc', 'login', 'logout', 'initSDK', 'UploadFile'];

/** A response deadline; anything slower is reported as a hang. */
export const FRAME_TIMEOUT_MS = 10_000;

export type FrameCategory =
  | 'not-json'
  | 'bytes'
  | 'not-object'
  | 'bad-name'
  | 'bad-opid'
  | 'bad-data'
  | 'unknown-fn'
  | 'bad-args'
  | 'typed-args'
  | 'random-args'
  | 'pass-through'
  | 'big'
  | 'deep-arg'
  | 'deep-json-text'
  | 'deep-restringified'
  | 'deep-frame';

export type { Expectation };
const codes = (...c: number[]): Expectation => ({ kind: 'codes', codes: c });
/** Arguments that may be right: any proper answer but 20006 and internal errors. */
const VALID: Expectation = { kind: 'valid' };

export type FrameSpec =
  | { shape: 'text'; category: FrameCategory; text: string; binary: boolean; expect: Expectation }
  | { shape: 'bytes'; category: FrameCategory; bytes: Uint8Array; expect: Expectation }
  | {
      shape: 'object';
      category: FrameCategory;
      /** The frame's fields; a field left undefined is absent from the JSON. */
      fields: { reqFuncName?: unknown; operationID?: unknown; userID?: unknown; data?: unknown; extra?: Record<string, unknown> };
      /** A string operationID gets `#<n>` appended so its response can be told apart. */
      uniqueOpID: boolean;
      binary: boolean;
      expect: Expectation;
      /** JSON text of one more field `x`, written as is (too deep for JSON.stringify). */
      rawExtra?: string;
      /** The frame itself is beyond a limit: its operationID may not be read back. */
      unreadable?: boolean;
    };

export interface FrameArbitraryContext {
  /** The lane's own user: Login with any other userID is refused. */
  self: string;
  /** The loaded core's globals (lowerCamel). */
  coreFunctions: readonly string[];
}

const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

function parsesToObject(text: string): boolean {
  try {
    return isPlainObject(JSON.parse(text));
  } catch {
    return false;
  }
}

function parsesToArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

const anyString = fc.oneof(fc.string({ maxLength: 24 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }));
const shallowJson = fc.jsonValue({ maxDepth: 2 });
const nonStringJson = shallowJson.filter((v) => typeof v !== 'string');
const someObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 });
const someArray = fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 });

/** Field names of the request objects the client sends, so random objects sometimes look real. */
const FIELD_NAMES = [
  'userID',
  'groupID',
  'clientMsgID',
  'conversationID',
  'count',
  'offset',
  'keyword',
  'keywordList',
  'nickname',
  'faceURL',
  'ex',
  'toUserID',
  'fromUserID',
  'remark',
  'reqMsg',
  'handleMsg',
  'groupName',
  'memberUserIDs',
  'adminUserIDs',
  'groupInfo',
  'isSearchNickname',
  'isSearchUserID',
  'startClientMsgID',
  'lastMinSeq',
  'viewType',
  'contentType',
  'textElem',
  'content',
  'sessionType',
  'recvID',
  'sendID',
  'seq',
  'status',
  'pageNumber',
  'showNumber',
  'messageTypeList',
  'searchTimePosition',
  'searchTimePeriod',
  'friendUserIDs',
  'isPinned',
  'recvMsgOpt',
];
const plausibleObject = fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 8 })), shallowJson, { maxKeys: 6 });

/** A value a parameter of this spec may well accept. */
function plausibleValue(p: ParamSpec, self: string): fc.Arbitrary<unknown> {
  const nullable = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => (p.whenNull !== undefined ? fc.oneof(a, fc.constant(null)) : a);
  switch (p.type) {
    case 'string': {
      const text = fc.oneof(fc.constantFrom(self, '', 'x', `si_${self}_other`, 'g_1', 'sg_1'), anyString);
      return nullable(p.nonEmpty ? text.filter((t) => t !== '') : text);
    }
    case 'int': {
      const [min, max] = p.range ?? [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      return nullable(
        fc.oneof(
          fc.integer({ min: Math.max(min, -2), max: Math.min(max, 200) }),
          fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }),
          fc.constantFrom(min, max, 0),
        ),
      );
    }
    case 'number':
      return nullable(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()));
    case 'bool':
      return nullable(fc.boolean());
    case 'json':
      if (p.json === 'array') {
        return nullable(
          fc.oneof(
            fc.array(fc.oneof(fc.constant(self), anyString), { maxLength: 4 }).map((a) => JSON.stringify(a)),
            fc.constantFrom('null', '[]'),
            ...(p.bareStringAsList ? [anyString] : []),
          ),
        );
      }
      return nullable(
        fc.oneof(
          plausibleObject.map((o) => JSON.stringify(o)),
          fc.constant('{}'),
          ...(p.objectStringified ? [plausibleObject] : []),
        ),
      );
  }
}

/** A value a parameter of this spec must refuse. */
function wrongValue(p: ParamSpec): fc.Arbitrary<unknown> {
  const options: Array<fc.Arbitrary<unknown>> = [someArray];
  if (p.whenNull === undefined) options.push(fc.constant(null));
  switch (p.type) {
    case 'string':
      options.push(fc.integer(), fc.boolean(), someObject);
      if (p.nonEmpty) options.push(fc.constant(''));
      break;
    case 'int':
      options.push(
        anyString,
        fc.boolean(),
        someObject,
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isSafeInteger(x)),
        fc.constantFrom(2 ** 53, -(2 ** 53), 1e300),
      );
      break;
    case 'number':
      options.push(anyString, fc.boolean(), someObject);
      break;
    case 'bool':
      options.push(fc.integer(), anyString, someObject);
      break;
    case 'json': {
      options.push(fc.integer(), fc.boolean());
      if (!p.objectStringified) options.push(someObject);
      if (!p.bareStringAsList) {
        const wrongText =
          p.json === 'array'
            ? fc.oneof(
                someObject.map((o) => JSON.stringify(o)),
                fc.constantFrom('1', '"x"', 'true', 'not json', '{', ''),
              )
            : fc.oneof(
                someArray.map((a) => JSON.stringify(a)),
                fc.constantFrom('null', '1', '"x"', 'true', 'not json', '{', '[]', ''),
              );
        options.push(wrongText.filter((t) => !(t === '' && p.emptyAllowed)));
      }
      break;
    }
  }
  return fc.oneof(...options);
}

/** How many items a row takes: at least `required` (items without whenMissing), at most all. */
function arity(params: readonly ParamSpec[]): { required: number; max: number } {
  let required = 0;
  params.forEach((p, i) => {
    if (p.whenMissing === undefined) required = i + 1;
  });
  return { required, max: params.length };
}

function plausibleArgs(params: readonly ParamSpec[], self: string): fc.Arbitrary<unknown[]> {
  const { required, max } = arity(params);
  return fc.integer({ min: required, max }).chain((n) => fc.tuple(...params.slice(0, n).map((p) => plausibleValue(p, self))).map((t) => [...t] as unknown[]));
}

/** Arguments the row must refuse: too many, too few, or one item of the wrong type. */
function wrongArgs(params: readonly ParamSpec[], self: string): fc.Arbitrary<unknown[]> {
  const { required, max } = arity(params);
  const tooMany = fc
    .tuple(plausibleArgs(params, self), fc.array(shallowJson, { minLength: 1, maxLength: 3 }))
    .map(([ok, extra]) => (ok.length === max ? [...ok, ...extra] : [...ok, ...params.slice(ok.length).map(() => 'x'), ...extra]));
  const options: Array<fc.Arbitrary<unknown[]>> = [tooMany];
  if (required > 0) {
    options.push(
      fc.integer({ min: 0, max: required - 1 }).chain((n) => fc.tuple(...params.slice(0, n).map((p) => plausibleValue(p, self))).map((t) => [...t] as unknown[])),
    );
  }
  if (params.length > 0) {
    options.push(
      fc
        .integer({ min: 0, max: params.length - 1 })
        .chain((bad) => fc.tuple(...params.map((p, i) => (i === bad ? wrongValue(p) : plausibleValue(p, self)))).map((t) => [...t] as unknown[])),
    );
  }
  return fc.oneof(...options);
}

function rowOf(name: string): RequestRule | undefined {
  return Object.hasOwn(REQUESTS, name) ? REQUESTS[name as ClientRequestName] : undefined;
}

function request(name: fc.Arbitrary<string>, args: fc.Arbitrary<unknown[]>, category: FrameCategory, expect: (name: string) => Expectation): fc.Arbitrary<FrameSpec> {
  return fc
    .record({ name, args, opID: fc.oneof(fc.constant('f'), anyString), binary: fc.boolean(), dataForm: fc.nat(9) })
    .map(({ name: n, args: a, opID, binary, dataForm }): FrameSpec => ({
      shape: 'object',
      category,
      // Parameterless requests may leave `data` out or send "" (some clients do).
      fields: {
        reqFuncName: n,
        operationID: opID,
        userID: 'ignored',
        data: a.length === 0 && dataForm === 0 ? undefined : a.length === 0 && dataForm === 1 ? '' : JSON.stringify(a),
      },
      uniqueOpID: true,
      binary,
      expect: expect(n),
    }));
}

/** Arrays and objects nested `depth` levels (the innermost one included), the innermost holding `width` entries. */
export interface Nest {
  depth: number;
  kind: 'array' | 'object' | 'mixed';
  width: number;
}

const L = DOCUMENTED_LIMITS;

/** From a few levels to thousands, most near the depth limit; widths near the entries limit too. */
export const nestArbitrary: fc.Arbitrary<Nest> = fc.record({
  depth: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 4, max: L.depth - 3 }) },
    { weight: 3, arbitrary: fc.integer({ min: L.depth - 2, max: L.depth + 2 }) },
    { weight: 2, arbitrary: fc.integer({ min: L.depth + 3, max: 20_000 }) },
  ),
  kind: fc.constantFrom<Nest['kind']>('array', 'object', 'mixed'),
  width: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 20 }) }, { weight: 2, arbitrary: fc.integer({ min: L.entries - 2, max: L.entries + 2 }) }),
});

/** The nest as JSON text, built in a loop: JSON.stringify would recurse as deep as the nest. */
export function nestText(n: Nest): string {
  const objectAt = (level: number): boolean => n.kind === 'object' || (n.kind === 'mixed' && level % 2 === 1);
  let open = '';
  let close = '';
  for (let level = 0; level < n.depth - 1; level++) {
    open += objectAt(level) ? '{"a":' : '[';
    close = (objectAt(level) ? '}' : ']') + close;
  }
  const inner = objectAt(n.depth - 1) ? `{${Array.from({ length: n.width }, (_, i) => `"k${i}":0`).join(',')}}` : `[${new Array<string>(n.width).fill('0').join(',')}]`;
  return open + inner + close;
}

/** Limits the nest breaks when it sits `above` levels deep in its JSON text. */
export function nestLimits(n: Nest, above: number): LimitName[] {
  const out: LimitName[] = [];
  if (n.depth + above > L.depth) out.push('depth');
  if (n.width > L.entries) out.push('entries');
  return out;
}

/** 20006 naming one of the limits the nest breaks, or `within` when it breaks none. */
function nestExpectation(n: Nest, above: number, within: Expectation): Expectation {
  const limits = nestLimits(n, above);
  return limits.length > 0 ? { kind: 'limit', limits } : within;
}

/** A request whose `data` text is written raw: `parts` are JSON texts of the arguments. */
function rawRequest(name: string, parts: readonly string[], category: FrameCategory, expect: Expectation): fc.Arbitrary<FrameSpec> {
  return fc.record({ opID: fc.oneof(fc.constant('d'), anyString), binary: fc.boolean() }).map(({ opID, binary }): FrameSpec => ({
    shape: 'object',
    category,
    fields: { reqFuncName: name, operationID: opID, userID: 'ignored', data: `[${parts.join(',')}]` },
    uniqueOpID: true,
    binary,
    expect,
  }));
}

/**
 * Deep and wide structures where a client can put them: as an argument, as the JSON text of
 * a JSON-text argument, as an object the gateway re-serialises, and as a field of the frame.
 */
function deepCategories(ctx: FrameArbitraryContext, servedRows: readonly string[], passThroughNames: readonly string[]): Array<fc.WeightedArbitrary<FrameSpec>> {
  const paramsOf = (name: string): readonly ParamSpec[] => {
    const row = rowOf(name);
    return row && row.kind !== 'client-only' ? row.params : [];
  };
  const slotsWhere = (pred: (p: ParamSpec) => boolean): Array<[string, number]> =>
    servedRows.flatMap((name) => paramsOf(name).flatMap((p, i): Array<[string, number]> => (pred(p) ? [[name, i]] : [])));
  const jsonSlots = slotsWhere((p) => p.type === 'json');
  const restringifiedSlots = slotsWhere((p) => p.objectStringified === true);
  // Every parameter gets a plausible value, so that the nest is the only thing to judge.
  const withNestAt = (name: string, i: number, nestJson: string): fc.Arbitrary<string[]> =>
    fc.tuple(...paramsOf(name).map((p) => plausibleValue(p, ctx.self))).map((args) => {
      const parts = args.map((a) => JSON.stringify(a));
      parts[i] = nestJson;
      return parts;
    });
  const out: Array<fc.WeightedArbitrary<FrameSpec>> = [
    {
      weight: 8,
      arbitrary: fc.tuple(fc.constantFrom(...servedRows, ...passThroughNames), nestArbitrary, fc.nat(3)).chain(([name, nest, pos]) => {
        const i = Math.min(pos, paramsOf(name).length);
        return withNestAt(name, i, nestText(nest)).chain((parts) => rawRequest(name, parts, 'deep-arg', nestExpectation(nest, 1, VALID)));
      }),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(nestArbitrary, fc.constantFrom('GetLoginStatus', 'GetLoginUserID', 'NoSuchFunction')).map(([nest, name]): FrameSpec => {
        const limits = nestLimits(nest, 1);
        return {
          shape: 'object',
          category: 'deep-frame',
          fields: { reqFuncName: name, operationID: 'df', userID: 'ignored', data: '[]' },
          uniqueOpID: true,
          binary: false,
          expect: limits.length > 0 ? { kind: 'limit', limits } : name === 'NoSuchFunction' ? codes(CODES.unknownFunction) : VALID,
          rawExtra: nestText(nest),
          unreadable: limits.length > 0,
        };
      }),
    },
  ];
  if (jsonSlots.length > 0) {
    out.push({
      weight: 5,
      arbitrary: fc.tuple(fc.constantFrom(...jsonSlots), nestArbitrary).chain(([[name, i], nest]) => {
        // A list parameter also takes one bare ID: a text too big to read as JSON may be that.
        const either = (paramsOf(name)[i] as ParamSpec).bareStringAsList === true;
        const expect: Expectation = either ? { kind: 'any' } : nestExpectation(nest, 0, VALID);
        return withNestAt(name, i, JSON.stringify(nestText(nest))).chain((parts) => rawRequest(name, parts, 'deep-json-text', expect));
      }),
    });
  }
  if (restringifiedSlots.length > 0) {
    out.push({
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...restringifiedSlots), nestArbitrary).chain(([[name, i], nest]) => {
        // Only a plain object is re-serialised (anything else is refused): objects all the way.
        const asObject: Nest = { ...nest, kind: 'object' };
        return withNestAt(name, i, nestText(asObject)).chain((parts) => rawRequest(name, parts, 'deep-restringified', nestExpectation(asObject, 1, VALID)));
      }),
    });
  }
  return out;
}

export function frameArbitrary(ctx: FrameArbitraryContext): fc.Arbitrary<FrameSpec> {
  const core = new Set(ctx.coreFunctions);
  const realName = fc.constantFrom(...CLIENT_REQUEST_NAMES);
  const servedRows = CLIENT_REQUEST_NAMES.filter((n) => rowOf(n)?.kind !== 'client-only');
  const clientOnlyRows = CLIENT_REQUEST_NAMES.filter((n) => rowOf(n)?.kind === 'client-only');
  const passThroughNames = ctx.coreFunctions
    .filter((f) => !FAULT_INJECTION_FUNCTIONS.has(f) && !['initSDK', 'login', 'logout', 'unInitSDK', 'sendMessage', 'uploadFile', 'commonEventFunc'].includes(f))
    .map(upperFirst)
    .filter((n) => !CLIENT_REQUEST_NAMES.includes(n));
  const reachesCore = (n: string): boolean => /^[A-Z][A-Za-z0-9_]*$/.test(n) && core.has(n.charAt(0).toLowerCase() + n.slice(1));
  const unknownName = fc.oneof(
    anyString.filter((n) => n !== '' && !CLIENT_REQUEST_NAMES.includes(n) && !reachesCore(n)),
    fc.constantFrom(...CLIENT_EVENT_NAMES, ...SERVER_OWNED_NAMES, ...clientOnlyRows, 'getLoginStatus', 'LOGIN', 'Login ', 'Error'),
    ...[...FAULT_INJECTION_FUNCTIONS].map((f) => fc.constant(f)), // lowerCamel: never reaches the core
  );
  const safeEvents = [...CLIENT_EVENT_NAMES].filter((e) => !SESSION_ENDING_EVENTS.has(e));

  const notJson = fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({ maxLength: 60 }),
      // A real request cut short.
      fc.tuple(realName, fc.nat()).map(([n, cut]) => {
        const t = JSON.stringify({ reqFuncName: n, operationID: 'x', userID: 'u', data: '[]' });
        return t.slice(0, cut % t.length);
      }),
      fc.constantFrom('', ' ', 'null', '{', '}', '{"reqFuncName":"Login"', "{'reqFuncName':'Login'}", '\u0000', '\ufeff{}'),
    )
    .filter((t) => !parsesToObject(t));
  const notObject = shallowJson.filter((v) => !isPlainObject(v)).map((v) => JSON.stringify(v));

  const categories: Array<fc.WeightedArbitrary<FrameSpec>> = [
    {
      weight: 8,
      arbitrary: fc
        .record({ text: notJson, binary: fc.boolean() })
        .map(({ text, binary }): FrameSpec => ({ shape: 'text', category: 'not-json', text, binary, expect: codes(CODES.invalidFrame) })),
    },
    {
      weight: 3,
      arbitrary: fc
        .uint8Array({ maxLength: 80 })
        .filter((b) => !parsesToObject(Buffer.from(b).toString('utf8')))
        .map((bytes): FrameSpec => ({ shape: 'bytes', category: 'bytes', bytes, expect: codes(CODES.invalidFrame) })),
    },
    {
      weight: 5,
      arbitrary: fc
        .record({ text: notObject, binary: fc.boolean() })
        .map(({ text, binary }): FrameSpec => ({ shape: 'text', category: 'not-object', text, binary, expect: codes(CODES.invalidFrame) })),
    },
    {
      weight: 8,
      arbitrary: fc
        .record({ name: fc.oneof(fc.constant(undefined), fc.constant(''), nonStringJson), binary: fc.boolean(), opID: anyString })
        .map(({ name, binary, opID }): FrameSpec => ({
          shape: 'object',
          category: 'bad-name',
          fields: { reqFuncName: name, operationID: opID, userID: 'u', data: '[]' },
          uniqueOpID: true,
          binary,
          expect: codes(CODES.invalidEnvelope),
        })),
    },
    {
      weight: 8,
      arbitrary: fc
        .record({
          name: fc.oneof(
            realName,
            anyString.filter((s) => s !== ''),
          ),
          opID: fc.oneof(fc.constant(undefined), nonStringJson),
          binary: fc.boolean(),
        })
        .map(({ name, opID, binary }): FrameSpec => ({
          shape: 'object',
          category: 'bad-opid',
          fields: { reqFuncName: name, operationID: opID, userID: 'u', data: '[]' },
          uniqueOpID: false,
          binary,
          expect: codes(CODES.invalidEnvelope),
        })),
    },
    {
      weight: 10,
      arbitrary: fc
        .record({
          name: fc.oneof(
            realName,
            anyString.filter((s) => s !== ''),
          ),
          data: fc.oneof(
            nonStringJson.filter((v) => v !== undefined),
            anyString.filter((s) => s !== '' && !parsesToArray(s)),
            shallowJson.filter((v) => !Array.isArray(v)).map((v) => JSON.stringify(v)),
          ),
          opID: anyString,
          binary: fc.boolean(),
          extra: fc.option(someObject, { nil: undefined }),
        })
        .map(({ name, data, opID, binary, extra }): FrameSpec => ({
          shape: 'object',
          category: 'bad-data',
          fields: { reqFuncName: name, operationID: opID, userID: 'u', data, extra },
          uniqueOpID: true,
          binary,
          expect: codes(CODES.invalidEnvelope),
        })),
    },
    { weight: 10, arbitrary: request(unknownName, someArray, 'unknown-fn', () => codes(CODES.unknownFunction)) },
    {
      weight: 20,
      arbitrary: fc.constantFrom(...CLIENT_REQUEST_NAMES).chain((name) => {
        const row = rowOf(name);
        if (!row || row.kind === 'client-only') return request(fc.constant(name), someArray, 'bad-args', () => codes(CODES.unknownFunction));
        return request(fc.constant(name), wrongArgs(row.params, ctx.self), 'bad-args', () => codes(CODES.args));
      }),
    },
    {
      weight: 15,
      arbitrary: fc.constantFrom(...servedRows).chain((name) => {
        const row = rowOf(name);
        const params = row && row.kind !== 'client-only' ? row.params : [];
        return request(fc.constant(name), plausibleArgs(params, ctx.self), 'typed-args', () => VALID);
      }),
    },
    { weight: 8, arbitrary: request(realName, fc.array(fc.oneof(shallowJson, fc.jsonValue({ maxDepth: 8 })), { maxLength: 6 }), 'random-args', () => VALID) },
  ];
  if (passThroughNames.length > 0) {
    const args = fc.oneof(
      fc.array(shallowJson, { maxLength: 6 }),
      fc.tuple(fc.constantFrom(...safeEvents), anyString).map((t) => [...t] as unknown[]),
    );
    categories.push({
      weight: 6,
      arbitrary: request(fc.constantFrom(...passThroughNames), args, 'pass-through', () => VALID).filter(
        // Emitting a session-ending event ends the session: by design, not a finding.
        (f) =>
          !(
            f.shape === 'object' &&
            f.fields.reqFuncName === 'DebugEmit' &&
            typeof f.fields.data === 'string' &&
            [...SESSION_ENDING_EVENTS].some((e) => (f.fields.data as string).includes(e))
          ),
      ),
    });
  }
  categories.push(...deepCategories(ctx, servedRows, passThroughNames));
  categories.push({
    weight: 1,
    arbitrary: request(
      realName,
      fc.integer({ min: 100_000, max: 3_000_000 }).map((n) => ['x'.repeat(n)]),
      'big',
      () => VALID,
    ),
  });
  return fc.oneof(...categories);
}

/** The frame as sent: its bytes or text, and the reqFuncName/operationID the response must echo. */
export interface RenderedFrame {
  payload: string | Buffer;
  binary: boolean;
  /** The response's operationID: the frame's when it is a string, else ""; undefined when either may come (a frame beyond a limit). */
  echoOpID: string | undefined;
  /** How the response is recognised. */
  matchesResponse: (r: Received) => boolean;
  /** The response `event` the protocol requires, or undefined when it cannot be known (bytes). */
  expectEvent: string | undefined;
  /** reqFuncName when it was a string. */
  name: string | undefined;
  /** For reports: the frame as text, clipped. */
  shown: string;
}

export function responseEventFor(name: unknown): string {
  if (typeof name !== 'string' || name === '' || name === 'InitSDK' || CLIENT_EVENT_NAMES.has(name)) return 'Error';
  return name;
}

const asResponseWithoutID = (r: Received): boolean => r.env.operationID === '' && !CLIENT_EVENT_NAMES.has(r.env.event);

export function renderFrame(spec: FrameSpec, n: number): RenderedFrame {
  if (spec.shape === 'bytes') {
    const payload = Buffer.from(spec.bytes);
    return {
      payload,
      binary: true,
      echoOpID: '',
      matchesResponse: asResponseWithoutID,
      expectEvent: undefined,
      name: undefined,
      shown: `binary ${payload.toString('hex')}`,
    };
  }
  if (spec.shape === 'text') {
    return {
      payload: spec.binary ? Buffer.from(spec.text) : spec.text,
      binary: spec.binary,
      echoOpID: '',
      matchesResponse: asResponseWithoutID,
      expectEvent: 'Error',
      name: undefined,
      shown: `${spec.binary ? 'binary' : 'text'} ${JSON.stringify(spec.text)}`,
    };
  }
  const { extra, ...fields } = spec.fields;
  const opID = spec.uniqueOpID && typeof fields.operationID === 'string' ? `${fields.operationID}#${n}` : fields.operationID;
  const plain = JSON.stringify({ ...extra, ...fields, operationID: opID });
  const text = spec.rawExtra === undefined ? plain : `${plain.slice(0, -1)},"x":${spec.rawExtra}}`;
  const echoOpID = typeof opID === 'string' ? opID : '';
  const readable = spec.unreadable !== true;
  return {
    payload: spec.binary ? Buffer.from(text) : text,
    binary: spec.binary,
    echoOpID: readable ? echoOpID : undefined,
    matchesResponse:
      echoOpID === '' ? asResponseWithoutID : readable ? (r) => r.env.operationID === echoOpID : (r) => r.env.operationID === echoOpID || asResponseWithoutID(r),
    expectEvent: readable ? responseEventFor(fields.reqFuncName) : undefined,
    name: typeof fields.reqFuncName === 'string' ? fields.reqFuncName : undefined,
    shown: `${spec.binary ? 'binary' : 'text'} ${text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text}`,
  };
}

/**
 * Error texts that tell a client nothing it can act on: the core's internals leaking out
 * (Go stack traces, syscall/js and JavaScript exception messages). Returns a label, or
 * undefined for an ordinary message.
 */
export function unclearError(errMsg: string): string | undefined {
  if (/\.go:\d+/.test(errMsg)) return 'a Go stack trace';
  if (/not implement CodeError/.test(errMsg)) return 'Go error plumbing';
  if (/syscall\/js/.test(errMsg)) return 'syscall/js internals';
  if (/JavaScript error|Cannot convert argument to a ByteString/.test(errMsg)) return 'a JavaScript exception';
  return undefined;
}

/** What is wrong with the response to `frame` (empty when nothing). */
export function judgeResponse(spec: FrameSpec, frame: RenderedFrame, r: Received): string[] {
  const sent = { echoOpID: frame.echoOpID, binary: frame.binary, expectEvent: frame.expectEvent, name: frame.name };
  return judgeAnswer(spec.expect, sent, r).map((p) => `${spec.category}: ${p}`);
}

export interface LaneStats {
  frames: number;
  errors: number;
  successes: number;
  relogins: number;
  byCategory: Record<string, number>;
  /** Responses by errCode. */
  byCode: Record<string, number>;
  /** The first frame answered with each errCode, and that answer. */
  examples: Record<string, { frame: string; response: string }>;
}

/**
 * One logged-in user whose socket gets the frames, one at a time. A successful Logout is
 * followed by a fresh socket and Login; anything else that loses the socket is a finding.
 */
export class FrameLane {
  readonly stats: LaneStats = { frames: 0, errors: 0, successes: 0, relogins: 0, byCategory: {}, byCode: {}, examples: {} };
  #socket: ImSocket | undefined;
  #seen = 0;

  constructor(
    readonly url: string,
    readonly user: { userID: string; token: string },
    readonly platformID: number,
    readonly gw: GatewayProcess,
    readonly findings: Findings,
    /** Problems worth reading that do not fail the run (pass-through functions' own errors). */
    readonly notes: Findings,
    /** Text no response may contain: the IM server's address is for the operator, not for clients. */
    readonly secrets: readonly string[] = [],
  ) {}

  async open(): Promise<void> {
    this.#socket?.terminate();
    const s = await ImSocket.open(this.url, { sendID: this.user.userID, token: this.user.token, platformID: this.platformID });
    const r = await s.request('Login', [this.user.userID, this.user.token], { timeoutMs: 30_000 });
    if (r.env.errCode !== 0) throw new Error(`fuzz lane ${this.user.userID}: Login failed: ${r.raw}`);
    this.#socket = s;
  }

  async close(): Promise<void> {
    await this.#socket?.close();
  }

  /** Sends one frame and checks everything about its answer; never throws for gateway misbehaviour. */
  async exchange(spec: FrameSpec, n: number): Promise<void> {
    const s = this.#socket;
    if (!s) throw new Error('lane not open');
    this.stats.frames++;
    this.stats.byCategory[spec.category] = (this.stats.byCategory[spec.category] ?? 0) + 1;
    const frame = renderFrame(spec, n);
    const report = (problem: string, observed: string): void => this.findings.add('frame', problem, frame.shown, observed);
    s.dropEvents();
    const answer = s.take(frame.matchesResponse, FRAME_TIMEOUT_MS, 'response');
    s.sendRaw(frame.payload, frame.binary);
    let r: Received;
    try {
      r = await answer;
    } catch (err) {
      report(err instanceof StepTimeout ? `no response within ${FRAME_TIMEOUT_MS} ms` : 'socket closed instead of answering', String(err));
      this.#checkLostCores(frame.shown);
      await this.#reopen();
      return;
    }
    if (s.malformed.length > 0) {
      report('a frame that is not a proper envelope', s.malformed.map((m) => `${m.shapeProblem}: ${m.raw.slice(0, 300)}`).join('\n'));
      s.malformed.length = 0;
    }
    this.stats.byCode[r.env.errCode] = (this.stats.byCode[r.env.errCode] ?? 0) + 1;
    this.stats.examples[r.env.errCode] ??= { frame: frame.shown.slice(0, 400), response: r.raw.slice(0, 400) };
    if (r.env.errCode === 0) this.stats.successes++;
    else this.stats.errors++;
    for (const p of judgeResponse(spec, frame, r)) report(p, r.raw.slice(0, 600));
    for (const secret of this.secrets)
      if (r.raw.includes(secret)) report(`errMsg (errCode ${r.env.errCode}) reveals the IM server's address to the client`, r.raw.slice(0, 600));
    const unclear = r.env.errCode !== 0 ? unclearError(r.env.errMsg) : undefined;
    if (unclear !== undefined) {
      // The gateway checks the arguments of client API requests; pass-through functions get them as sent.
      const checked = frame.name !== undefined && CLIENT_REQUEST_NAMES.includes(frame.name);
      const where = checked ? 'a client API request whose arguments the gateway accepted' : 'a pass-through core function';
      (checked ? this.findings : this.notes).add('frame', `errMsg is ${unclear}, for ${where}`, frame.shown, r.raw.slice(0, 1200), frame.name);
    }

    if (frame.name === 'Logout' && r.env.errCode === 0) {
      // A successful Logout ends the session by design: the server closes the socket.
      const closed = await withTimeout(s.closed, 5000, 'close after Logout').catch(() => undefined);
      if (!closed) report('socket not closed after a successful Logout', r.raw);
      this.stats.relogins++;
      await this.#reopen();
      return;
    }
    const probe = await s.request('GetLoginStatus', [], { timeoutMs: FRAME_TIMEOUT_MS }).catch((err: unknown) => String(err));
    if (typeof probe === 'string' || probe.env.errCode !== 0 || probe.env.data !== '3') {
      report('socket unusable or logged out after this frame (GetLoginStatus is not "3")', typeof probe === 'string' ? probe : probe.raw);
      this.#checkLostCores(frame.shown);
      await this.#reopen();
      return;
    }
    this.#checkLostCores(frame.shown);
  }

  #checkLostCores(shown: string): void {
    const lost = this.gw.lostCores.filter((l) => l.userID === this.user.userID);
    if (lost.length === this.#seen) return;
    for (const l of lost.slice(this.#seen)) this.findings.add('frame', `core lost (${l.reason}) right after this frame`, shown, l.message);
    this.#seen = lost.length;
  }

  async #reopen(): Promise<void> {
    try {
      await this.open();
    } catch (err) {
      this.findings.add('frame', 'cannot log the lane in again', this.user.userID, String(err));
      throw err;
    }
  }
}
