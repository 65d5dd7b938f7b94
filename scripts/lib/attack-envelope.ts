/**
 * Envelope-level abuse for the attack harness: frames that are not requests, requests with
 * missing, doubled or mistyped fields, hostile function names, invalid UTF-8, frames at and
 * beyond the size and structure limits, and floods. Each says what the protocol answers.
 */
import { CODES, type Expectation, type SentFrame } from './attack-judge.ts';
import { newInputId, type AttackInput, type LaneState, type Self } from './attack-plan.ts';
import { DOCUMENTED_LIMITS, deepArray, deepObject } from './attack-values.ts';
import { responseEventFor } from './fuzz-frames.ts';
import type { Rng } from './timing.ts';

/** A flood: many frames sent at once on one socket, each judged on its own answer. */
export interface FloodInput {
  id: number;
  batch: string;
  state: LaneState;
  label: string;
  heavy: boolean;
  count: number;
  /** Each frame's answer must meet this. */
  expect: Expectation;
  render(self: Self): Array<{ frame: string | Buffer; binary: boolean; sent: SentFrame }>;
}

const L = DOCUMENTED_LIMITS;

/** A frame whose operationID cannot be read: answered with "" and event "Error". */
function unreadable(batch: string, state: LaneState, label: string, payload: string | Buffer, binary: boolean, expect: Expectation, heavy = false): AttackInput {
  return {
    id: newInputId(),
    batch,
    state,
    label,
    heavy,
    expect,
    render: () => ({ frame: payload, binary, sent: { echoOpID: '', binary, expectEvent: 'Error', name: undefined } }),
  };
}

/**
 * A frame built from an object's fields in order (duplicates allowed): `fields` are
 * [name, JSON text] pairs; `$OP` in a text is replaced by the input's own operationID.
 */
function fieldsFrame(
  batch: string,
  state: LaneState,
  label: string,
  fields: ReadonlyArray<readonly [string, string]>,
  expect: Expectation,
  how: { name?: string | undefined; echo?: 'op' | 'none' | 'unknown'; binary?: boolean; heavy?: boolean; expectData?: (self: Self) => string } = {},
): AttackInput {
  const id = newInputId();
  const opID = `atk-${id}`;
  const binary = how.binary ?? false;
  const text = `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${v.replaceAll('$OP', opID)}`).join(',')}}`;
  const echo = how.echo ?? 'op';
  return {
    id,
    batch,
    state,
    label,
    heavy: how.heavy ?? false,
    expect,
    render: (self) => ({
      frame: binary ? Buffer.from(text) : text,
      binary,
      sent: {
        echoOpID: echo === 'op' ? opID : echo === 'none' ? '' : undefined,
        binary,
        // A frame beyond a limit cannot be read: its answer may or may not name it.
        expectEvent: echo === 'unknown' ? undefined : how.name === undefined ? 'Error' : responseEventFor(how.name),
        name: how.name,
        ...(how.expectData ? { expectData: how.expectData(self) } : {}),
      },
    }),
  };
}

const OP = '"$OP"';
const q = (s: string): string => JSON.stringify(s);
const codes = (...c: number[]): Expectation => ({ kind: 'codes', codes: c });
const VALID: Expectation = { kind: 'valid' };

function notJson(state: LaneState): AttackInput[] {
  const batch = 'envelope: not a request';
  const texts = ['', ' ', '{', '}', 'nope', '{"reqFuncName":"GetLoginStatus"', "{'reqFuncName':'Login'}", '\u0000', '\ufeff{}', 'NaN', '{"a":1,}'];
  const notObjects = ['null', '[]', '1', '"s"', 'true', '[{"reqFuncName":"GetLoginStatus","operationID":"x","data":"[]"}]'];
  const out: AttackInput[] = [];
  for (const binary of [false, true]) {
    for (const t of [...texts, ...notObjects])
      out.push(unreadable(batch, state, `${binary ? 'binary' : 'text'} frame ${JSON.stringify(t)}`, binary ? Buffer.from(t) : t, binary, codes(CODES.invalidFrame)));
  }
  return out;
}

function bytesAndUtf8(state: LaneState, rng: Rng): AttackInput[] {
  const batch = 'envelope: bytes and UTF-8';
  const out: AttackInput[] = [];
  const fixed: Array<[string, number[]]> = [
    ['0xff 0xfe', [0xff, 0xfe]],
    ['CESU surrogate 0xed 0xa0 0x80', [0xed, 0xa0, 0x80]],
    ['overlong slash 0xc0 0xaf', [0xc0, 0xaf]],
    ['truncated 4-byte 0xf0 0x9f 0x98', [0xf0, 0x9f, 0x98]],
    ['NUL bytes', [0, 0, 0, 0]],
  ];
  for (let i = 0; i < 8; i++) {
    const n = rng.int(1, 200);
    fixed.push([`${n} random bytes`, Array.from({ length: n }, () => rng.int(0, 255))]);
  }
  for (const [label, bytes] of fixed) {
    const buf = Buffer.from(bytes);
    out.push(unreadable(batch, state, `binary frame of ${label}`, buf, true, codes(CODES.invalidFrame)));
  }
  // Invalid UTF-8 in a text frame breaks the WebSocket protocol itself: 1007 is the answer.
  const badText: AttackInput = unreadable(
    batch,
    state,
    'text frame with invalid UTF-8 0xff',
    Buffer.from('{"reqFuncName":"GetLoginStatus","operationID":"x\xff","data":"[]"}', 'latin1'),
    false,
    codes(CODES.invalidFrame),
  );
  out.push({ ...badText, closes: 1007 });
  // Invalid UTF-8 inside a binary request: decoded with replacement characters, then served.
  for (const [label, bad] of [
    ['0xff', [0xff]],
    ['a CESU surrogate', [0xed, 0xa0, 0x80]],
  ] as const) {
    const id = newInputId();
    const prefix = Buffer.from(`{"reqFuncName":"GetLoginStatus","operationID":"atk-${id}-`);
    const payload = Buffer.concat([prefix, Buffer.from(bad), Buffer.from('","data":"[]"}')]);
    const opID = (JSON.parse(payload.toString('utf8')) as { operationID: string }).operationID;
    out.push({
      id,
      batch,
      state,
      label: `binary GetLoginStatus whose operationID holds invalid UTF-8 (${label})`,
      heavy: false,
      expect: VALID,
      render: () => ({ frame: payload, binary: true, sent: { echoOpID: opID, binary: true, expectEvent: 'GetLoginStatus', name: 'GetLoginStatus' } }),
    });
  }
  return out;
}

function fields(state: LaneState): AttackInput[] {
  const batch = 'envelope: fields';
  const f = (label: string, fs: ReadonlyArray<readonly [string, string]>, expect: Expectation, how?: Parameters<typeof fieldsFrame>[5]): AttackInput =>
    fieldsFrame(batch, state, label, fs, expect, how);
  const out: AttackInput[] = [];
  for (const bad of ['null', '1', '[]', '{}', '""', 'true']) {
    out.push(
      f(
        `reqFuncName ${bad}`,
        [
          ['reqFuncName', bad],
          ['operationID', OP],
          ['data', '"[]"'],
        ],
        codes(CODES.invalidEnvelope),
      ),
    );
  }
  out.push(
    f(
      'no reqFuncName',
      [
        ['operationID', OP],
        ['data', '"[]"'],
      ],
      codes(CODES.invalidEnvelope),
    ),
  );
  for (const bad of ['null', '1', '[]', '{}', 'true']) {
    out.push(
      f(
        `operationID ${bad}`,
        [
          ['reqFuncName', '"GetLoginStatus"'],
          ['operationID', bad],
          ['data', '"[]"'],
        ],
        codes(CODES.invalidEnvelope),
        { name: 'GetLoginStatus', echo: 'none' },
      ),
    );
  }
  out.push(
    f(
      'no operationID',
      [
        ['reqFuncName', '"GetLoginStatus"'],
        ['data', '"[]"'],
      ],
      codes(CODES.invalidEnvelope),
      { name: 'GetLoginStatus', echo: 'none' },
    ),
  );
  for (const bad of ['null', '1', '[]', '{}', 'true', q('nope'), q('{}'), q('"x"'), q('1'), q('[1,]')]) {
    out.push(
      f(
        `data ${bad}`,
        [
          ['reqFuncName', '"GetLoginStatus"'],
          ['operationID', OP],
          ['data', bad],
        ],
        codes(CODES.invalidEnvelope),
        { name: 'GetLoginStatus' },
      ),
    );
  }
  out.push(
    f(
      'no data',
      [
        ['reqFuncName', '"GetLoginStatus"'],
        ['operationID', OP],
      ],
      VALID,
      { name: 'GetLoginStatus' },
    ),
  );
  out.push(
    f(
      'data ""',
      [
        ['reqFuncName', '"GetLoginStatus"'],
        ['operationID', OP],
        ['data', '""'],
      ],
      VALID,
      { name: 'GetLoginStatus' },
    ),
  );
  out.push(
    f(
      'every field twice (the last one counts)',
      [
        ['reqFuncName', '"Nope"'],
        ['operationID', '"first"'],
        ['data', q('[1]')],
        ['reqFuncName', '"GetLoginStatus"'],
        ['operationID', OP],
        ['data', '"[]"'],
      ],
      VALID,
      { name: 'GetLoginStatus' },
    ),
  );
  out.push(
    f('fields only under __proto__', [['__proto__', `{"reqFuncName":"GetLoginStatus","operationID":${OP},"data":"[]"}`]], codes(CODES.invalidEnvelope), { echo: 'none' }),
  );
  out.push(
    f(
      'extra fields named like Object members',
      [
        ['reqFuncName', '"GetLoginStatus"'],
        ['operationID', OP],
        ['data', '"[]"'],
        ['constructor', '1'],
        ['hasOwnProperty', '2'],
        ['__proto__', 'null'],
        ['toString', '{}'],
      ],
      VALID,
      { name: 'GetLoginStatus' },
    ),
  );
  // The body's userID is never who the socket is.
  out.push(
    f(
      'GetLoginUserID with another userID in the body',
      [
        ['reqFuncName', '"GetLoginUserID"'],
        ['operationID', OP],
        ['userID', '"someone-else"'],
        ['data', '"[]"'],
      ],
      VALID,
      {
        name: 'GetLoginUserID',
        expectData: (self) => (state === 'after-login' ? JSON.stringify(self.userID) : '""'),
      },
    ),
  );
  for (const binary of [false, true]) {
    out.push(
      f(
        `${binary ? 'binary' : 'text'} GetLoginStatus`,
        [
          ['reqFuncName', '"GetLoginStatus"'],
          ['operationID', OP],
          ['data', '"[]"'],
        ],
        VALID,
        { name: 'GetLoginStatus', binary },
      ),
    );
  }
  return out;
}

function names(state: LaneState, coreFunctions: ReadonlySet<string>): AttackInput[] {
  const batch = 'envelope: function names';
  const unknown = [
    'constructor',
    'toString',
    '__proto__',
    'hasOwnProperty',
    'valueOf',
    'Constructor',
    'ToString',
    'HasOwnProperty',
    'ValueOf',
    '__defineGetter__',
    'InitSDK',
    'UnInitSDK',
    'CommonEventFunc',
    'UploadFile',
    'login',
    'Login ',
    ' Login',
    'LOGIN',
    'getLoginStatus',
    'GetLoginStatus\u0000',
    'Get\u202eLoginStatus',
    'OnKickedOffline',
    'OnConnectSuccess',
    'Error',
    'N'.repeat(L.reqFuncNameLength),
  ];
  const out: AttackInput[] = [];
  for (const name of unknown) {
    // A name the loaded core answers to is not unknown (e.g. a custom core's "ToString").
    if (
      /^[A-Z][A-Za-z0-9_]*$/.test(name) &&
      coreFunctions.has(name.charAt(0).toLowerCase() + name.slice(1)) &&
      !['InitSDK', 'UnInitSDK', 'CommonEventFunc', 'UploadFile'].includes(name)
    )
      continue;
    const shown = name.length > 40 ? `${name.length}-character name` : JSON.stringify(name);
    out.push(
      fieldsFrame(
        batch,
        state,
        `reqFuncName ${shown}`,
        [
          ['reqFuncName', q(name)],
          ['operationID', OP],
          ['data', '"[]"'],
        ],
        codes(CODES.unknownFunction),
        { name },
      ),
    );
  }
  // Names longer than any client's are refused (20001) without being echoed.
  for (const [length, heavy] of [
    [L.reqFuncNameLength + 1, false],
    [2 ** 20, false],
    [L.stringLength + 1, true],
  ] as const) {
    out.push(
      fieldsFrame(
        batch,
        state,
        `reqFuncName of ${length} characters`,
        [
          ['reqFuncName', q('N'.repeat(length))],
          ['operationID', OP],
          ['data', '"[]"'],
        ],
        codes(CODES.invalidEnvelope),
        { heavy },
      ),
    );
  }
  return out;
}

/** Whitespace to make a GetLoginStatus frame exactly `bytes` long. */
function paddedGetLoginStatus(opID: string, bytes: number): string {
  const head = `{"reqFuncName":"GetLoginStatus","operationID":${JSON.stringify(opID)},"data":"[]"`;
  return `${head}${' '.repeat(bytes - head.length - 1)}}`;
}

/** Heavy inputs short runs keep: the ones that pin the frame size and string length. */
const PINNING = new WeakSet<AttackInput | FloodInput>();

function limits(state: LaneState): AttackInput[] {
  const batch = 'envelope: sizes and limits';
  const out: AttackInput[] = [];
  const gls = (label: string, fs: ReadonlyArray<readonly [string, string]>, expect: Expectation, heavy = false, echo: 'op' | 'none' | 'unknown' = 'op'): void => {
    out.push(fieldsFrame(batch, state, label, [['reqFuncName', '"GetLoginStatus"'], ...fs], expect, { name: 'GetLoginStatus', heavy, echo }));
  };
  const data: readonly [string, string] = ['data', '"[]"'];
  const limit = (...l: Array<'depth' | 'values' | 'entries' | 'stringLength'>): Expectation => ({ kind: 'limit', limits: l });

  // The frame's own structure: one level for the frame object itself.
  gls(`an extra field ${L.depth - 1} levels deep (the frame at the depth limit)`, [['operationID', OP], data, ['x', deepArray(L.depth - 1)]], VALID);
  gls(`an extra field ${L.depth} levels deep`, [['operationID', OP], data, ['x', deepArray(L.depth)]], limit('depth'), false, 'unknown');
  gls('an extra field 5000 objects deep', [['operationID', OP], data, ['x', deepObject(5000)]], limit('depth'), false, 'unknown');
  const extra = (n: number): Array<readonly [string, string]> => Array.from({ length: n }, (_, i) => [`x${i}`, '0'] as const);
  gls(`${L.entries} fields in all`, [['operationID', OP], data, ...extra(L.entries - 3)], VALID);
  gls(`${L.entries + 1} fields in all`, [['operationID', OP], data, ...extra(L.entries - 2)], limit('entries'), false, 'unknown');

  // operationIDs at and beyond their length (clients send UUIDs); longer ones are not echoed.
  const id = newInputId();
  const atOp = `atk-${id}-`.padEnd(L.operationIdLength, 'o');
  out.push(
    fieldsFrame(batch, state, `operationID of ${L.operationIdLength} characters`, [['reqFuncName', '"GetLoginStatus"'], ['operationID', q(atOp)], data], VALID, {
      name: 'GetLoginStatus',
      echo: 'unknown',
    }),
  );
  for (const [length, heavy] of [
    [L.operationIdLength + 1, false],
    [2 ** 20, false],
    [L.stringLength + 1, true],
  ] as const) {
    gls(`operationID of ${length} characters`, [['operationID', q('o'.repeat(length))], data], codes(CODES.invalidEnvelope), heavy, 'none');
  }
  // A string of `data` at and just beyond the string limit, for a function nobody serves
  // (the limit is checked before the name: 20006 beyond it, 20002 within).
  for (const [length, expect] of [
    [L.stringLength, codes(CODES.unknownFunction)],
    [L.stringLength + 1, limit('stringLength')],
  ] as const) {
    out.push(
      fieldsFrame(
        batch,
        state,
        `a data string of ${length} characters`,
        [
          ['reqFuncName', '"NoSuchFunction"'],
          ['operationID', OP],
          ['data', q(`["${'s'.repeat(length)}"]`)],
        ],
        expect,
        { name: 'NoSuchFunction', heavy: true },
      ),
    );
    PINNING.add(out[out.length - 1] as AttackInput);
  }
  // README bounds "one string in a request"; the gateway bounds the strings of `data` and
  // leaves the frame's own to the frame size. Either answer is taken here.
  gls(
    `an extra field holding a string of ${L.stringLength + 1} characters`,
    [['operationID', OP], data, ['x', q('s'.repeat(L.stringLength + 1))]],
    { kind: 'any' },
    true,
  );

  // Whole frames at and beyond the frame size.
  const frameAt = newInputId();
  out.push({
    id: frameAt,
    batch,
    state,
    label: `GetLoginStatus padded to exactly ${L.frameBytes} bytes`,
    heavy: true,
    expect: VALID,
    render: () => ({
      frame: paddedGetLoginStatus(`atk-${frameAt}`, L.frameBytes),
      binary: false,
      sent: { echoOpID: `atk-${frameAt}`, binary: false, expectEvent: 'GetLoginStatus', name: 'GetLoginStatus' },
    }),
  });
  PINNING.add(out[out.length - 1] as AttackInput);
  for (const bytes of [L.frameBytes + 1, 16 * 2 ** 20]) {
    const id = newInputId();
    out.push({ ...unreadable(batch, state, `GetLoginStatus padded to ${bytes} bytes`, paddedGetLoginStatus(`atk-${id}`, bytes), false, codes(), true), closes: 1009 });
  }
  PINNING.add(out[out.length - 2] as AttackInput);
  out.push(unreadable(batch, state, `${L.frameBytes} bytes of "["`, '['.repeat(L.frameBytes), false, limit('depth'), true));
  PINNING.add(out[out.length - 1] as AttackInput);
  out.push(unreadable(batch, state, `${L.frameBytes} bytes of "[0,0,0,…"`, `[${'0,'.repeat(L.frameBytes / 2 - 1)}`, false, limit('entries', 'values'), true));
  out.push(unreadable(batch, state, `${L.frameBytes} bytes of "{"a":{"a":…"`, '{"a":'.repeat(L.frameBytes / 5), true, limit('depth'), true));
  return out;
}

function floods(state: LaneState, scale: 'full' | 'short'): FloodInput[] {
  const batch = 'envelope: floods';
  const n = scale === 'full' ? 3000 : 300;
  const flood = (
    label: string,
    count: number,
    expect: Expectation,
    heavy: boolean,
    one: (opID: string) => { frame: string | Buffer; binary: boolean; sent: SentFrame },
  ): FloodInput => {
    const id = newInputId();
    return { id, batch, state, label, heavy, count, expect, render: () => Array.from({ length: count }, (_, i) => one(`atk-${id}-${i}`)) };
  };
  const gls = (opID: string): { frame: string; binary: boolean; sent: SentFrame } => ({
    frame: `{"reqFuncName":"GetLoginStatus","operationID":"${opID}","data":"[]"}`,
    binary: false,
    sent: { echoOpID: opID, binary: false, expectEvent: 'GetLoginStatus', name: 'GetLoginStatus' },
  });
  const all = [
    // More than a socket may have unanswered: the excess is refused (20005), never dropped.
    flood(`${n} GetLoginStatus at once`, n, codes(0, CODES.tooManyRequests), false, gls),
    flood(`${n} non-JSON frames at once`, n, codes(CODES.invalidFrame), false, () => ({
      frame: 'nope',
      binary: false,
      sent: { echoOpID: '', binary: false, expectEvent: 'Error', name: undefined },
    })),
    flood(`${n} unknown functions at once`, n, codes(CODES.unknownFunction), false, (opID) => ({
      frame: `{"reqFuncName":"NoSuchFunction","operationID":"${opID}","data":"[]"}`,
      binary: true,
      sent: { echoOpID: opID, binary: true, expectEvent: 'NoSuchFunction', name: 'NoSuchFunction' },
    })),
    // Past the inbound byte bounds the socket is read later, not dropped: every one answered.
    flood(`4 GetLoginStatus frames of ${L.frameBytes} bytes at once`, 4, codes(0, CODES.tooManyRequests), true, (opID) => ({
      ...gls(opID),
      frame: paddedGetLoginStatus(opID, L.frameBytes),
    })),
  ];
  PINNING.add(all[all.length - 1] as FloodInput);
  return all;
}

export interface EnvelopePlan {
  inputs: AttackInput[];
  floods: FloodInput[];
}

/**
 * Envelope-level inputs for one lane state. Short runs keep a third of the light inputs,
 * every one that closes the socket, and (after Login only) the heavy ones that pin limits.
 */
export function envelopeInputs(state: LaneState, scale: 'full' | 'short', rng: Rng, coreFunctions: ReadonlySet<string>): EnvelopePlan {
  const inputs = [...notJson(state), ...bytesAndUtf8(state, rng), ...fields(state), ...names(state, coreFunctions), ...limits(state)];
  const fl = floods(state, scale);
  if (scale === 'full') return { inputs, floods: fl };
  const keepHeavy = (x: AttackInput | FloodInput): boolean => state === 'after-login' && PINNING.has(x);
  return {
    inputs: inputs.filter((x, i) => (x.heavy ? keepHeavy(x) : i % 3 === 0 || x.closes !== undefined)),
    floods: fl.filter((x) => !x.heavy || keepHeavy(x)),
  };
}
