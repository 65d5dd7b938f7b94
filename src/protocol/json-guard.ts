/**
 * Bounds a client's JSON text before anything parses it.
 *
 * `JSON.parse` itself is the first thing a hostile frame can abuse: ten MiB of `[[[[…` take
 * 1.5 s of the main thread to parse (every socket of every user waits), and the value it
 * builds would then blow the stack of anything that walks it recursively (`JSON.stringify`,
 * structured clone). So every text a client controls — the frame, its `data`, each JSON text
 * argument — is scanned first, in one linear pass without recursion, against LIMITS.json:
 * nesting depth, values per request (shared by all the request's texts), entries per array or
 * object, and string length. Only a text that passes is parsed, and what parsing builds is
 * then small and shallow enough for any later walk.
 *
 * The scan does not validate JSON (JSON.parse still does, and reports syntax errors); on
 * malformed text it just stops counting early or late, never reads out of bounds.
 */
import { LIMITS } from '../limits.ts';

export type JsonLimits = { readonly [K in keyof typeof LIMITS.json]: number };

export type JsonLimitName = keyof JsonLimits;

/** What went over which limit; `message` names the place, the limit and its value. */
export interface JsonLimitProblem {
  readonly limit: JsonLimitName;
  readonly message: string;
}

/** Values used so far by one request, across its texts. */
export class JsonBudget {
  readonly limits: JsonLimits;
  values = 0;

  constructor(limits: JsonLimits = LIMITS.json) {
    this.limits = limits;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const LOWER_U = 0x75;

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Scans `text` (JSON about to be parsed) against the limits, charging its values to
 * `budget`. `where` names the text for the message ("request frame", "argument 2 (message)").
 * `maxString` replaces the string limit for a text whose strings are themselves JSON texts
 * scanned on their own (the frame, whose `data` holds the whole request).
 */
export function scanJson(text: string, budget: JsonBudget, where: string, maxString = budget.limits.stringLength): JsonLimitProblem | undefined {
  const { depth: maxDepth, values: maxValues, entries: maxEntries } = budget.limits;
  // Entries counted per open container; depth is bounded, so is this. Scans are synchronous
  // and never nest, so one array serves them all (this runs for every frame).
  const entries = entryCounters(maxDepth + 2);
  let depth = 0;
  // The root is a value; every further value is an entry of some container.
  let values = budget.values + 1;
  let justOpened = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (justOpened && !isJsonSpace(c)) {
      justOpened = false;
      if (c !== CLOSE_ARRAY && c !== CLOSE_OBJECT) {
        entries[depth] = 1;
        values++;
      }
    }
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const length = end - i - 1;
      // The raw length bounds the unescaped one from above: count exactly only when needed.
      if (length > maxString && unescapedLength(text, i + 1, end) > maxString) {
        return problem('stringLength', `${where} holds a string longer than ${maxString} characters`);
      }
      i = end + 1;
      continue;
    }
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth > maxDepth) return problem('depth', `${where} nests arrays and objects deeper than ${maxDepth} levels`);
      entries[depth] = 0;
      justOpened = true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth > 0) depth--;
    } else if (c === COMMA && depth > 0) {
      entries[depth]!++;
      values++;
      if (entries[depth]! > maxEntries) {
        return problem('entries', `${where} holds an array or object with more than ${maxEntries} entries`);
      }
    }
    if (values > maxValues) return problem('values', `${where} holds more than ${maxValues} values in one request`);
    i++;
  }
  budget.values = values;
  return undefined;
}

let counters = new Int32Array(0);

function entryCounters(size: number): Int32Array {
  if (counters.length < size) counters = new Int32Array(size);
  return counters;
}

/** Index of the quote closing the string that opens at `start` (text.length if none). */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  for (;;) {
    j = text.indexOf('"', j);
    if (j === -1) return text.length;
    // Escaped when preceded by an odd run of backslashes. Each run is read once per quote
    // it precedes, and a quote ends the run: linear overall.
    let k = j - 1;
    while (k > start && text.charCodeAt(k) === BACKSLASH) k--;
    if ((j - 1 - k) % 2 === 0) return j;
    j++;
  }
}

/** Characters the string body text[from, to) decodes to. */
function unescapedLength(text: string, from: number, to: number): number {
  let length = 0;
  let i = from;
  while (i < to) {
    if (text.charCodeAt(i) === BACKSLASH) i += text.charCodeAt(i + 1) === LOWER_U ? 6 : 2;
    else i++;
    length++;
  }
  return length;
}

function problem(limit: JsonLimitName, message: string): JsonLimitProblem {
  return { limit, message };
}

/**
 * Parses `text` if it is within the limits. `undefined` in `value` when the text is not
 * JSON (with `syntax` set to the parser's message).
 */
export function parseBoundedJson(
  text: string,
  budget: JsonBudget,
  where: string,
  maxString?: number,
): { ok: true; value: unknown } | { ok: false; limit: JsonLimitProblem } | { ok: false; syntax: string } {
  const over = scanJson(text, budget, where, maxString);
  if (over) return { ok: false, limit: over };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, syntax: (err as Error).message };
  }
}
