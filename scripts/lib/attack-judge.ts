/**
 * What a gateway answer to a hostile frame must look like, shared by the attack harness and
 * the fuzzer: a well-formed envelope that echoes the request, an error with a message for
 * bad input, the code the protocol gives that input, and never an internal error.
 */
import type { Received } from './im-socket.ts';
import { DOCUMENTED_LIMITS, type LimitName } from './attack-values.ts';

/** errCodes that mean "the server failed", not "your input was wrong": on client input, a finding. */
export const INTERNAL_ERROR_CODES: ReadonlyMap<number, string> = new Map([
  [10006, 'SdkInternalError'],
  [20007, 'GatewayInternalError'],
]);

export const CODES = {
  args: 10002,
  invalidFrame: 20000,
  invalidEnvelope: 20001,
  unknownFunction: 20002,
  tooManyRequests: 20005,
  limitExceeded: 20006,
} as const;

export type Expectation =
  /** One of these errCodes. */
  | { kind: 'codes'; codes: readonly number[] }
  /** Some error (errCode ≠ 0). */
  | { kind: 'error' }
  /** May well be valid: success or the core's own error, but never refused as beyond a limit. */
  | { kind: 'valid' }
  /** Either way is right (e.g. a text that is too big as JSON but fine as a bare ID). */
  | { kind: 'any' }
  /** Refused as beyond a limit (20006), with an errMsg naming one of these limits. */
  | { kind: 'limit'; limits: readonly LimitName[] };

/** What was sent, as far as judging its answer needs. */
export interface SentFrame {
  /** The operationID the answer must carry; undefined when "" is acceptable too (a frame whose operationID cannot be read). */
  echoOpID: string | undefined;
  binary: boolean;
  /** The response `event` the protocol requires, when it can be known. */
  expectEvent: string | undefined;
  /** The frame's reqFuncName when it was a readable string. */
  name: string | undefined;
  /** The `data` a success must carry, when the input fixes it (e.g. whose userID). */
  expectData?: string;
}

/** How an errMsg names each limit: its number (plain or grouped) and a word for it. */
const LIMIT_WORDS: Readonly<Record<LimitName, RegExp>> = {
  depth: /deep|depth|nest|level/i,
  values: /value/i,
  entries: /entr|item|member|element/i,
  stringLength: /string|character|long/i,
};

function numberPattern(n: number): RegExp {
  const grouped = n.toLocaleString('en-US').replaceAll(',', '[ ,_\\u202f]?');
  const alt = n === DOCUMENTED_LIMITS.stringLength ? '|4 ?MiB' : '';
  return new RegExp(`(?<![0-9])(?:${grouped}${alt})(?![0-9])`);
}

/** Whether `errMsg` names `limit` (its value and what it bounds). */
export function namesLimit(errMsg: string, limit: LimitName): boolean {
  return LIMIT_WORDS[limit].test(errMsg) && numberPattern(DOCUMENTED_LIMITS[limit]).test(errMsg);
}

export function expectationText(e: Expectation): string {
  switch (e.kind) {
    case 'codes':
      return `errCode ${e.codes.join(' or ')}`;
    case 'error':
      return 'an error';
    case 'valid':
      return 'an answer to a valid request';
    case 'any':
      return 'any proper answer';
    case 'limit':
      return `errCode ${CODES.limitExceeded} naming the ${e.limits.join(' or ')} limit`;
  }
}

/** What is wrong with answer `r` to `sent` (empty when nothing). */
export function judgeAnswer(expect: Expectation, sent: SentFrame, r: Received): string[] {
  const problems: string[] = [];
  const { env } = r;
  if (sent.echoOpID !== undefined && env.operationID !== sent.echoOpID) {
    problems.push(`operationID not echoed (${sent.echoOpID === '' ? 'frame had none' : 'frame had one'})`);
  }
  if (sent.expectEvent !== undefined && env.event !== sent.expectEvent) {
    problems.push(`response event is not ${sent.expectEvent === 'Error' ? '"Error"' : 'the request name'}`);
  }
  if (r.binary !== sent.binary) problems.push(`answered in a ${r.binary ? 'binary' : 'text'} frame to a ${sent.binary ? 'binary' : 'text'} request`);
  if (env.errCode !== 0) {
    if (env.errMsg.trim() === '') problems.push(`errCode ${env.errCode} with an empty errMsg`);
    if (env.data !== '') problems.push(`errCode ${env.errCode} with data ${JSON.stringify(env.data.slice(0, 80))}`);
    if (sent.name !== undefined && /^\s*$/.test(env.errMsg.replace(sent.name, ''))) problems.push('errMsg says nothing beyond the request name');
  } else {
    try {
      JSON.parse(env.data);
    } catch {
      problems.push(`success whose data is not JSON text: ${JSON.stringify(env.data.slice(0, 80))}`);
    }
    if (sent.expectData !== undefined && env.data !== sent.expectData) problems.push(`success with data other than ${sent.expectData.slice(0, 80)}`);
  }
  const internal = INTERNAL_ERROR_CODES.get(env.errCode);
  if (internal !== undefined) {
    // Whatever was expected: the server failing on client input is never the right answer.
    problems.push(`internal error ${env.errCode} (${internal}) on client input`);
    return problems;
  }
  switch (expect.kind) {
    case 'codes':
      if (!expect.codes.includes(env.errCode)) problems.push(`errCode ${env.errCode}, expected ${expect.codes.join(' or ')}`);
      break;
    case 'error':
      if (env.errCode === 0) problems.push('accepted (errCode 0), expected an error');
      break;
    case 'any':
      break;
    case 'valid':
      if (env.errCode === CODES.limitExceeded) problems.push(`refused as beyond a limit (${CODES.limitExceeded}) though within every documented limit`);
      break;
    case 'limit':
      if (env.errCode !== CODES.limitExceeded) problems.push(`beyond the ${expect.limits.join('/')} limit: errCode ${env.errCode}, expected ${CODES.limitExceeded}`);
      else if (!expect.limits.some((l) => namesLimit(env.errMsg, l)))
        problems.push(`errCode ${CODES.limitExceeded} whose errMsg does not name the ${expect.limits.join(' or ')} limit and its value`);
      break;
  }
  return problems;
}
