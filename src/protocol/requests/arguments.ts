/**
 * Checking a request's positional items against its row's parameter specs: each bad item
 * gets a message naming its position, its name, what it must be and what it was.
 */
import { parseBoundedJson, type JsonBudget } from '../json-guard.ts';
import type { CoreArg, ParamSpec } from './rules.ts';

/** What is wrong with an item; `overLimit` when it is within the types but beyond LIMITS.json. */
interface ItemProblem {
  readonly problem: string;
  readonly overLimit?: boolean;
}

export function checkItems(params: readonly ParamSpec[], data: readonly unknown[], budget: JsonBudget): CoreArg[] | ItemProblem {
  const required = params.findLastIndex((p) => p.whenMissing === undefined) + 1;
  if (data.length < required || data.length > params.length) {
    const range = required === params.length ? `${required}` : `${required} to ${params.length}`;
    const names = params.map((p) => p.name).join(', ') || 'none';
    return { problem: `takes ${range} argument(s) (${names}), got ${data.length}` };
  }
  const args: CoreArg[] = [];
  for (const [i, spec] of params.entries()) {
    const where = `argument ${i + 1} (${spec.name})`;
    const checked = i < data.length ? checkItem(spec, data[i], budget, where) : spec.whenMissing;
    if (checked === undefined) return { problem: `${where} is missing` };
    if (typeof checked === 'object') return checked.overLimit ? checked : { problem: `${where} ${checked.problem}` };
    args.push(checked);
  }
  return args;
}

function checkItem(spec: ParamSpec, value: unknown, budget: JsonBudget, where: string): CoreArg | ItemProblem {
  if (value === null && spec.whenNull !== undefined) return spec.whenNull;
  const wrong = (): ItemProblem => ({ problem: `must be ${expectation(spec)}, got ${describe(value)}` });
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' && (value !== '' || !spec.nonEmpty) ? value : wrong();
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) && inRange(spec, value) ? value : wrong();
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value : wrong();
    case 'bool':
      return typeof value === 'boolean' ? value : wrong();
    case 'json':
      return checkJsonItem(spec, value, budget, where) ?? wrong();
  }
}

/**
 * The string to send for a `json` item, undefined when it does not hold the right JSON, or
 * the limit its text is over. An object item was already bounded as part of the request data.
 */
function checkJsonItem(spec: ParamSpec, value: unknown, budget: JsonBudget, where: string): string | ItemProblem | undefined {
  if (spec.objectStringified && isPlainObject(value)) return JSON.stringify(value);
  if (typeof value !== 'string') return undefined;
  if (value === '' && spec.emptyAllowed) return value;
  const decoded = parseBoundedJson(value, budget, where);
  if (!decoded.ok && 'limit' in decoded) return { problem: decoded.limit.message, overLimit: true };
  const parsed = decoded.ok ? decoded.value : undefined;
  const fits = spec.json === 'array' ? parsed === null || Array.isArray(parsed) : isPlainObject(parsed);
  if (fits) return value;
  if (spec.bareStringAsList && value !== '') return JSON.stringify([value]);
  return undefined;
}

function expectation(spec: ParamSpec): string {
  switch (spec.type) {
    case 'string':
      return spec.nonEmpty ? 'a non-empty string' : 'a string';
    case 'int':
      return spec.range ? `an integer from ${spec.range[0]} to ${spec.range[1]}` : 'an integer';
    case 'number':
      return 'a finite number';
    case 'bool':
      return 'a boolean';
    case 'json':
      return `a string holding a JSON ${spec.json ?? 'value'}${spec.emptyAllowed ? ' (or "")' : ''}`;
  }
}

function inRange(spec: ParamSpec, value: number): boolean {
  return !spec.range || (value >= spec.range[0] && value <= spec.range[1]);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `the string ${clip(JSON.stringify(value))}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return `a ${typeof value}`;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}
