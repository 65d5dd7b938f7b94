/**
 * Hostile argument values for the attack harness, each written as the JSON text that goes
 * into a request's `data` array, with what the gateway will see once it has parsed it.
 *
 * Structures are built as text, never with JSON.stringify: a 5 000-level value would blow
 * the harness's own stack, and numbers like 9007199254740993 or 1e309 must reach the gateway
 * digit for digit. Each value says which documented limit it breaks in the `data` text on
 * its own (`beyond`); values "at" a limit sit exactly on it (depth, entries) or just under
 * it (values per request, string length, where the request's other parts count too), so
 * that a limit enforced lower than documented is caught as well as one not enforced at all.
 */

const MiB = 2 ** 20;

/**
 * The limits README documents, written out here on purpose: reading them from src/limits.ts
 * would let a changed limit pass unnoticed, since the harness would move with it.
 */
export const DOCUMENTED_LIMITS = {
  /** Nesting of arrays and objects in one JSON text (the frame, `data`, each JSON-text argument). */
  depth: 100,
  /** Values in one request, all its JSON texts together. */
  values: 100_000,
  /** Items of one array or members of one object. */
  entries: 10_000,
  /** Characters of one string, after unescaping. */
  stringLength: 4 * MiB,
  /** Bytes of one WebSocket frame; above it the socket is closed 1009. */
  frameBytes: 10 * MiB,
  /** Characters of a request's reqFuncName and operationID; longer ones are refused 20001. */
  reqFuncNameLength: 128,
  operationIdLength: 256,
} as const;

export type LimitName = 'depth' | 'values' | 'entries' | 'stringLength';

/** What a JSON-text string holds once parsed, and which limits its text breaks on its own. */
export interface JsonTextKind {
  holds: 'array' | 'null' | 'object' | 'scalar' | 'invalid';
  beyond: readonly LimitName[];
}

/** The value as the gateway's argument check sees it after parsing. */
export type ValueKind =
  | { type: 'string'; empty: boolean; jsonText: JsonTextKind }
  | { type: 'number'; value: number }
  | { type: 'bool' }
  | { type: 'null' }
  | { type: 'array' }
  | { type: 'object' };

/** Which part of the catalog a value belongs to (short runs take a few of each). */
export type ValueGroup = 'structure' | 'type' | 'edge';

export interface HostileValue {
  label: string;
  /** The value as JSON text, as it appears in the `data` array. */
  json: string;
  kind: ValueKind;
  /** Limits the `data` text breaks because of this value alone. */
  beyond: readonly LimitName[];
  group: ValueGroup;
  /** Megabytes to send: used sparingly. */
  heavy: boolean;
}

// --- builders --------------------------------------------------------------------------

export const deepArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
export const deepObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
export function deepMixed(depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 === 0 ? '[' : '{"a":';
    close = (i % 2 === 0 ? ']' : '}') + close;
  }
  return `${open}0${close}`;
}
export const wideArray = (entries: number): string => `[${new Array<string>(entries).fill('0').join(',')}]`;
export function wideObject(entries: number): string {
  const members: string[] = [];
  for (let i = 0; i < entries; i++) members.push(`"k${i}":0`);
  return `{${members.join(',')}}`;
}
/** An array of arrays holding about `values` values, no array above the entries limit. */
export function manyValues(values: number): string {
  const per = DOCUMENTED_LIMITS.entries - 1;
  const chunks: string[] = [];
  for (let left = values; left > 0; left -= per) chunks.push(wideArray(Math.min(per, left)));
  return `[${chunks.join(',')}]`;
}
const str = (text: string): string => JSON.stringify(text);

/** A `data` text adds one level (its array) above each argument. */
const ARG_AT_DEPTH = DOCUMENTED_LIMITS.depth - 1;
/** A string just under the limit. */
const STRING_AT = DOCUMENTED_LIMITS.stringLength - 1024;

const plainString = (text: string): ValueKind => ({ type: 'string', empty: text === '', jsonText: { holds: jsonHolds(text), beyond: [] } });

function jsonHolds(text: string): JsonTextKind['holds'] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'invalid';
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : 'scalar';
}

/** A string argument holding JSON text (what `json` parameters take). */
function jsonTextValue(label: string, text: string, holds: JsonTextKind['holds'], beyond: readonly LimitName[] = [], heavy = false): HostileValue {
  return { label, json: str(text), kind: { type: 'string', empty: text === '', jsonText: { holds, beyond } }, beyond: [], group: 'edge', heavy };
}

function value(label: string, json: string, kind: ValueKind, group: ValueGroup, beyond: readonly LimitName[] = [], heavy = false): HostileValue {
  return { label, json, kind, beyond, group, heavy };
}

const stringValue = (label: string, text: string, group: ValueGroup = 'type'): HostileValue => value(label, str(text), plainString(text), group);
/** A string given as raw JSON text (lone surrogates, escapes that JSON.stringify would write differently). */
const rawString = (label: string, json: string): HostileValue => value(label, json, plainString(JSON.parse(json) as string), 'type');
const numberValue = (label: string, json: string): HostileValue => value(label, json, { type: 'number', value: JSON.parse(json) as number }, 'edge');

// --- the catalog -----------------------------------------------------------------------

function buildCatalog(): HostileValue[] {
  const L = DOCUMENTED_LIMITS;
  return [
    // Deep and wide structures, at and beyond the limits.
    value(`deep-array-${ARG_AT_DEPTH}`, deepArray(ARG_AT_DEPTH), { type: 'array' }, 'structure'),
    value(`deep-array-${L.depth}`, deepArray(L.depth), { type: 'array' }, 'structure', ['depth']),
    value(`deep-object-${ARG_AT_DEPTH}`, deepObject(ARG_AT_DEPTH), { type: 'object' }, 'structure'),
    value(`deep-object-${L.depth}`, deepObject(L.depth), { type: 'object' }, 'structure', ['depth']),
    value('deep-array-5000', deepArray(5000), { type: 'array' }, 'structure', ['depth']),
    value('deep-object-5000', deepObject(5000), { type: 'object' }, 'structure', ['depth']),
    value('deep-mixed-5000', deepMixed(5000), { type: 'array' }, 'structure', ['depth']),
    value(`wide-array-${L.entries}`, wideArray(L.entries), { type: 'array' }, 'structure'),
    value(`wide-array-${L.entries + 1}`, wideArray(L.entries + 1), { type: 'array' }, 'structure', ['entries']),
    value(`wide-object-${L.entries}`, wideObject(L.entries), { type: 'object' }, 'structure'),
    value(`wide-object-${L.entries + 1}`, wideObject(L.entries + 1), { type: 'object' }, 'structure', ['entries']),
    value('values-90000', manyValues(90_000), { type: 'array' }, 'structure'),
    value('values-110000', manyValues(110_000), { type: 'array' }, 'structure', ['values']),
    value('deep-array-1000000', deepArray(1_000_000), { type: 'array' }, 'structure', ['depth'], true),
    value(`string-${STRING_AT}`, str('x'.repeat(STRING_AT)), plainString('x'), 'structure', [], true),
    value(`string-${L.stringLength + 1}`, str('x'.repeat(L.stringLength + 1)), plainString('x'), 'structure', ['stringLength'], true),
    // `data` longer than a string may be: the limit is per string of the text, not the text.
    value(`array-of-5-strings-${MiB}`, `[${new Array<string>(5).fill(str('y'.repeat(MiB))).join(',')}]`, { type: 'array' }, 'structure', [], true),
    // Escapes count once: 5 MiB of text holding 2.5 Mi characters is within the limit.
    value(`string-of-${2.5 * MiB}-escaped-newlines`, str('\n'.repeat(2.5 * MiB)), plainString('\n'), 'structure', [], true),

    // Prototype keys and other names objects already have.
    value('proto-keys', '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":true}},"prototype":null}', { type: 'object' }, 'type'),
    value('proto-in-array', '[{"__proto__":null},{"constructor":1}]', { type: 'array' }, 'type'),
    value('object-method-names', '{"toString":1,"valueOf":2,"hasOwnProperty":3,"toJSON":4,"then":5}', { type: 'object' }, 'type'),
    stringValue('string-__proto__', '__proto__'),
    stringValue('string-constructor', 'constructor'),
    stringValue('string-prototype', 'prototype'),

    // Lone surrogates, control characters, text that means something elsewhere.
    rawString('lone-high-surrogate', '"\\ud800"'),
    rawString('lone-low-surrogate', '"\\udfff"'),
    rawString('surrogates-reversed', '"a\\udc00\\ud800b"'),
    rawString('nul-and-controls', '"\\u0000\\u0001\\u001f\\u007f"'),
    rawString('bidi-and-zero-width', '"\\u202e\\u200b\\ufeff"'),
    stringValue('crlf-header-injection', 'x\r\nX-Injected: 1'),
    stringValue('path-traversal', '../../../../etc/passwd'),
    stringValue('string-64KiB', 'z'.repeat(64 * 1024), 'edge'),
    stringValue('empty-string', ''),
    stringValue('string-x', 'x'),

    // Numbers beyond 2^53 and int32, and texts that look like numbers.
    numberValue('2^53+1', '9007199254740993'),
    numberValue('-(2^53+1)', '-9007199254740993'),
    numberValue('2^53', '9007199254740992'),
    numberValue('2^31', '2147483648'),
    numberValue('-(2^31)-1', '-2147483649'),
    numberValue('int32-max', '2147483647'),
    numberValue('int32-min', '-2147483648'),
    numberValue('2^32', '4294967296'),
    numberValue('1e308', '1e308'),
    numberValue('1e309', '1e309'),
    numberValue('-1e309', '-1e309'),
    numberValue('1e-400', '1e-400'),
    numberValue('minus-zero', '-0'),
    numberValue('one-half', '0.5'),
    numberValue('30-digits', '123456789012345678901234567890'),
    numberValue('1E2', '1E2'),
    numberValue('minus-one', '-1'),
    stringValue('text-NaN', 'NaN', 'edge'),
    stringValue('text-Infinity', 'Infinity', 'edge'),
    stringValue('text--Infinity', '-Infinity', 'edge'),
    stringValue('text-1e999', '1e999', 'edge'),
    stringValue('text-0x10', '0x10', 'edge'),
    stringValue('text-space-1', ' 1', 'edge'),
    stringValue('text-2^53+1', '9007199254740993', 'edge'),

    // Plainly wrong types.
    value('null', 'null', { type: 'null' }, 'type'),
    value('true', 'true', { type: 'bool' }, 'type'),
    value('false', 'false', { type: 'bool' }, 'type'),
    numberValue('zero', '0'),
    value('empty-array', '[]', { type: 'array' }, 'type'),
    value('empty-object', '{}', { type: 'object' }, 'type'),
    value('array-of-null', '[null]', { type: 'array' }, 'type'),
    value('nested-empty', '[[],{}]', { type: 'array' }, 'type'),
    value('empty-key-object', '{"":""}', { type: 'object' }, 'type'),

    // JSON texts (for parameters that take a string holding JSON) with hostile JSON inside.
    jsonTextValue(`json-deep-array-${L.depth}`, deepArray(L.depth), 'array'),
    jsonTextValue(`json-deep-array-${L.depth + 1}`, deepArray(L.depth + 1), 'array', ['depth']),
    jsonTextValue(`json-deep-object-${L.depth}`, deepObject(L.depth), 'object'),
    jsonTextValue(`json-deep-object-${L.depth + 1}`, deepObject(L.depth + 1), 'object', ['depth']),
    jsonTextValue('json-deep-object-5000', deepObject(5000), 'object', ['depth']),
    jsonTextValue('json-unclosed-5000', '['.repeat(5000), 'invalid', ['depth']),
    jsonTextValue(`json-wide-array-${L.entries + 1}`, wideArray(L.entries + 1), 'array', ['entries']),
    jsonTextValue(`json-wide-object-${L.entries}`, wideObject(L.entries), 'object'),
    jsonTextValue('json-values-110000', manyValues(110_000), 'array', ['values']),
    jsonTextValue('json-proto-keys', '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":true}}}', 'object'),
    jsonTextValue('json-proto-in-array', '[{"__proto__":1}]', 'array'),
    jsonTextValue('json-big-numbers', '{"count":9007199254740993,"offset":1e309,"seq":-0,"sessionType":2147483648}', 'object'),
    jsonTextValue('json-NaN', '{"count":NaN}', 'invalid'),
    jsonTextValue('json-lone-surrogate', '{"text":"\\ud800","userID":"\\udfff"}', 'object'),
    jsonTextValue('json-duplicate-keys', '{"groupID":"a","groupID":{"x":1}}', 'object'),
    jsonTextValue('json-trailing-comma', '[1,]', 'invalid'),
    jsonTextValue('json-null', 'null', 'null'),
    jsonTextValue('json-number', '1', 'scalar'),
    jsonTextValue('json-padded-object', '  {}  ', 'object'),
    jsonTextValue('json-bom-object', '\ufeff{}', 'invalid'),
    jsonTextValue('json-string-1MiB', `["${'s'.repeat(MiB)}"]`, 'array', [], true),
  ];
}

let catalog: HostileValue[] | undefined;

/** Every hostile value (built once: some are megabytes). */
export function hostileValues(): readonly HostileValue[] {
  catalog ??= buildCatalog();
  return catalog;
}
