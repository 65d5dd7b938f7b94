/**
 * From a core's answer to the response `data` a client gets, reshaped where client 3.5.2
 * expects an older shape (reshape.ts).
 */
import type { CoreValue } from '../../../core-wasm/call-result.ts';
import { protocolError, type ProtocolError } from '../error-codes.ts';
import { reshapeResult } from './reshape.ts';
import type { CorePlan, RequestPlan } from './rules.ts';

/**
 * The response `data` for a core's answer to a plan. Async globals resolve JSON text,
 * sent unchanged; sync-style ones resolve `[result]`, where `[""]` is the core's only way
 * to say it failed — most often because it is not logged in.
 */
export function responseData(
  plan: RequestPlan,
  value: CoreValue,
  loggedIn: boolean,
  companionValues: readonly (CoreValue | undefined)[] = [],
): { data: string } | ProtocolError {
  if (plan.kind === 'local') return { data: plan.data };
  const text = plan.kind === 'core' && plan.style === 'sync' ? syncResult(plan, value, loggedIn) : asyncResult(value);
  if (typeof text !== 'string') return text;
  if (plan.kind !== 'core' || plan.reshape === undefined) return { data: text };
  return reshapeResult(plan, plan.reshape, text, companionValues.map(companionResult));
}

/** A companion's parsed result; undefined when it failed or answered something unreadable. */
function companionResult(value: CoreValue | undefined): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function asyncResult(value: CoreValue): string {
  // Only a non-conforming core resolves anything but text; still send valid JSON.
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function syncResult(plan: CorePlan, value: CoreValue, loggedIn: boolean): string | ProtocolError {
  if (!Array.isArray(value)) {
    return protocolError('SdkInternalError', `${plan.reqFuncName}: ${plan.fn} answered ${typeof value}, not a result array`);
  }
  const first = value[0];
  if (typeof first === 'number' || typeof first === 'boolean') return String(first);
  if (typeof first === 'string' && first !== '') return first;
  return loggedIn
    ? protocolError('ArgsError', `${plan.reqFuncName}: ${plan.fn} produced no result (the core rejected the arguments)`)
    : protocolError('ResourceLoadNotComplete', `${plan.reqFuncName}: ${plan.fn} produced no result: not logged in`);
}
