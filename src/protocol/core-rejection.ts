/**
 * What a core's rejection says, made fit for a client.
 *
 * The official core answers most failures with errCode 10005 (UnknownCode) and a text that
 * carries the real error inside Go's wrapping: a "not implement CodeError" prefix per
 * wrapper (the core's `call` only unwraps one kind), then the inner CodeError as
 * "[Error: ]<code> <message>", then a stack trace of Go frames after " | -> ". Seen for
 * example as
 *
 *   error *stack.stackError not implement CodeError: Error: 10100 User ID not found … |
 *   -> errs.(*codeError).WrapMsg() github.com/openimsdk/tools@…/coderr.go:67 -> …
 *
 * Clients then show a Go stack and cannot act on the code (1501 token expired,
 * 1302 blocked and the like arrive as 10005). The inner code is recovered when the outer one
 * is 10005, the wrapper prefixes and the stack are cut; the original text stays with the
 * result as `detail` for the operator's log.
 *
 * Network failures name the IM server as the gateway reaches it (`Post "http://10.0.0.5:10002/…"`,
 * `dial tcp 10.0.0.5:10002`): addresses are replaced by placeholders (redact-addresses.ts).
 */
import { redactAddresses } from './redact-addresses.ts';

/** The core's code for "no usable code": the only one worth replacing with the inner one. */
const UNKNOWN_CODE = 10005;

/**
 * Go's `errs` stack formatting: the frames start at the first " | -> ". (Matched from the
 * "|", not from the spaces before it: a leading `\s*` would make a long run of spaces cost
 * quadratic time.)
 */
const STACK_START = /\|\s*->/;

/** One wrapper the core's `call` did not unwrap, e.g. "error *stack.stackError not implement CodeError: ". */
const WRAPPER_PREFIX = /^error \S+ not implement CodeError:\s*/;

/** A CodeError's own text: "[Error: ]<code> <message>" (codes: IM server ≤ 1801, sdkerrs 10000–10499). */
const CODE_ERROR_TEXT = /^(?:Error:\s*)?(\d{3,5})\s+([\s\S]*)$/;

/**
 * Failures the core's call glue reports as internal errors (10006) although they are about
 * what the client sent: an argument whose JSON does not fit the Go type, or arguments of the
 * wrong type or number for a function reached by name. They become 10002, as the gateway's
 * own argument checks answer.
 */
const ARGUMENT_FAILURES: ReadonlyArray<{ readonly pattern: RegExp; readonly explain: (m: RegExpExecArray) => string }> = [
  { pattern: /go call json\.Unmarshal error: ([^\n]*)/, explain: (m) => `an argument does not hold what the core expects: ${m[1] ?? ''}` },
  { pattern: /go code error: fn in args type is not match/, explain: () => 'an argument has a type the core does not take' },
  { pattern: /go code error: fn in args num is not match/, explain: () => 'the core takes another number of arguments' },
];

/** sdkerrs' internal error and argument error. */
const SDK_INTERNAL_CODE = 10006;
const ARGS_CODE = 10002;

/**
 * A panic the core's `call` recovered: "call panic: panic: <value>" then the goroutine's stack.
 * Only the value is worth a client's eyes.
 */
const CALL_PANIC = /^call panic:\s*(?:panic:\s*)?([^\n]*)/;

/** Messages are for people: long Go chains are cut rather than sent whole. */
const MAX_MESSAGE_CHARS = 500;

export interface CoreRejection {
  errCode: number;
  errMsg: string;
  /** The core's text as it was, when it was changed (for logs, never for clients). */
  detail?: string;
}

export function normalizeCoreRejection(errCode: number, errMsg: string): CoreRejection {
  const panicked = CALL_PANIC.exec(errMsg);
  if (panicked) return { errCode, errMsg: clean(`the core failed on this request: ${panicked[1] ?? ''}`), detail: errMsg };
  const stack = STACK_START.exec(errMsg);
  let text = (stack === null ? errMsg : errMsg.slice(0, stack.index)).trim();
  let unwrapped = false;
  for (let m = WRAPPER_PREFIX.exec(text); m; m = WRAPPER_PREFIX.exec(text)) {
    text = text.slice(m[0].length);
    unwrapped = true;
  }
  let code = errCode;
  const inner = CODE_ERROR_TEXT.exec(text);
  if (unwrapped && inner && errCode === UNKNOWN_CODE) {
    code = Number(inner[1]);
    text = (inner[2] ?? '').trim() || text;
  }
  if (code === SDK_INTERNAL_CODE) {
    for (const { pattern, explain } of ARGUMENT_FAILURES) {
      const m = pattern.exec(text);
      if (m) return { errCode: ARGS_CODE, errMsg: clean(explain(m)), detail: errMsg };
    }
  }
  if (text === '' && errMsg !== '') text = errMsg;
  text = clean(text);
  if (code === errCode && text === errMsg) return { errCode, errMsg };
  return { errCode: code, errMsg: text, detail: errMsg };
}

/** Cut before redacting (the core's text can echo megabytes of client data) and after (placeholders can be longer). */
function clean(text: string): string {
  return cut(redactAddresses(cut(text)));
}

/** Cut before redacting (the core's text can echo megabytes of client data) and after (placeholders can be longer). */
function cut(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…` : text;
}
