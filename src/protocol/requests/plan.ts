/**
 * From a request to a plan: a table row's items are checked (arguments.ts) and built into
 * core arguments; any other UpperCamel name the loaded core registers is passed through.
 */
import { SYNC_FUNCTIONS, checkSyncArguments, type SyncFunctionSpec } from '../../../core-wasm/core-functions.ts';
import { isProtocolError, protocolError, type ProtocolError } from '../error-codes.ts';
import { JsonBudget } from '../json-guard.ts';
import { checkItems } from './arguments.ts';
import { REQUESTS, SERVER_MANAGED_FUNCTIONS, type ClientRequestName } from './table.ts';
import type { CorePlan, Identity, RequestPlan, RequestRule, ResultShape } from './rules.ts';

/**
 * What to do with a request. Table rows are checked against their parameters; any other
 * UpperCamel name the loaded core registers (lowerCamel) is passed through with the items
 * as its arguments, so custom cores and the test core's Debug* functions are reachable.
 */
export function planRequest(
  reqFuncName: string,
  data: unknown[],
  identity: Identity,
  coreFunctions: ReadonlySet<string>,
  budget: JsonBudget = new JsonBudget(),
): RequestPlan | ProtocolError {
  if (Object.hasOwn(REQUESTS, reqFuncName)) {
    return planRow(reqFuncName, REQUESTS[reqFuncName as ClientRequestName], data, identity, coreFunctions, budget);
  }
  return planPassThrough(reqFuncName, data, coreFunctions);
}

function planRow(
  reqFuncName: string,
  rule: RequestRule,
  data: unknown[],
  identity: Identity,
  coreFunctions: ReadonlySet<string>,
  budget: JsonBudget,
): RequestPlan | ProtocolError {
  if (rule.kind === 'client-only') {
    return protocolError('UnknownFunction', `${reqFuncName} is not served by this server: ${rule.reason}`);
  }
  const args = checkItems(rule.params, data, budget);
  if (!Array.isArray(args)) return protocolError(args.overLimit ? 'LimitExceeded' : 'ArgsError', `${reqFuncName}: ${args.problem}`);

  switch (rule.kind) {
    case 'session': {
      const problem = rule.check?.(args, identity);
      if (problem) return protocolError('ArgsError', `${reqFuncName}: ${problem}`);
      return { kind: 'session', reqFuncName, fn: rule.fn, args };
    }
    case 'local':
      return { kind: 'local', reqFuncName, data: rule.answer(args, identity) };
    case 'core': {
      if (!coreFunctions.has(rule.fn)) {
        return protocolError('UnknownFunction', `${reqFuncName}: the loaded core has no function ${rule.fn}`);
      }
      const built = rule.toCore ? rule.toCore(args) : args;
      if (!Array.isArray(built)) return protocolError('ArgsError', `${reqFuncName}: ${built.problem}`);
      const plan = corePlan(reqFuncName, rule.fn, built, false, rule.reshape);
      return rule.companions && !isProtocolError(plan) ? { ...plan, companions: rule.companions(args) } : plan;
    }
  }
}

function planPassThrough(reqFuncName: string, data: unknown[], coreFunctions: ReadonlySet<string>): CorePlan | ProtocolError {
  // Only UpperCamel names, like the client's: "login" must not bypass the Login row.
  const fn = /^[A-Z][A-Za-z0-9_]*$/.test(reqFuncName) ? reqFuncName[0]!.toLowerCase() + reqFuncName.slice(1) : undefined;
  if (fn !== undefined && SERVER_MANAGED_FUNCTIONS.has(fn)) {
    return protocolError('UnknownFunction', `${reqFuncName} cannot be called by clients: the server manages ${fn} itself`);
  }
  if (fn === undefined || !coreFunctions.has(fn)) {
    return protocolError('UnknownFunction', `unknown request ${JSON.stringify(reqFuncName)}: not a client API and not a function of the loaded core`);
  }
  return corePlan(reqFuncName, fn, data, true);
}

function corePlan(reqFuncName: string, fn: string, args: unknown[], passThrough: boolean, reshape?: ResultShape): CorePlan | ProtocolError {
  const sync = syncSpec(fn);
  // Last line of defence for sync-style globals, whose bad arguments end the core.
  const problem = sync && checkSyncArguments(fn, sync, args);
  if (problem) return protocolError('ArgsError', `${reqFuncName}: ${problem}`);
  return { kind: 'core', reqFuncName, fn, args, style: sync ? 'sync' : 'async', passThrough, ...(reshape && { reshape }) };
}

function syncSpec(fn: string): SyncFunctionSpec | undefined {
  return Object.hasOwn(SYNC_FUNCTIONS, fn) ? SYNC_FUNCTIONS[fn] : undefined;
}
