/**
 * Positional arguments as the core passes them (`js.ValueOf`): Go strings arrive as JS
 * strings, every Go integer as a number, bools as booleans, and structs, slices and maps
 * pre-serialised to a JSON string. Two dead functions pass a raw JS object.
 */
import { StorageError } from './errors.ts';
import { errorText } from '../../src/shared/error-text.ts';

export type ParamKind = 'string' | 'int' | 'bool' | 'json' | 'object';

export interface Param<K extends ParamKind = ParamKind> {
  readonly name: string;
  readonly kind: K;
}

type ValueOf<K extends ParamKind> = K extends 'string'
  ? string
  : K extends 'int'
    ? number
    : K extends 'bool'
      ? boolean
      : K extends 'json'
        ? unknown
        : Record<string, unknown>;

/** The decoded argument tuple for a parameter list. */
export type ParamValues<P extends readonly Param[]> = { -readonly [I in keyof P]: P[I] extends Param<infer K> ? ValueOf<K> : never };

export const str = (name: string): Param<'string'> => ({ name, kind: 'string' });
export const int = (name: string): Param<'int'> => ({ name, kind: 'int' });
export const bool = (name: string): Param<'bool'> => ({ name, kind: 'bool' });
/** A JSON string; decoded before the function runs (`null` stays null). */
export const json = (name: string): Param<'json'> => ({ name, kind: 'json' });
export const object = (name: string): Param<'object'> => ({ name, kind: 'object' });

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function decodeOne(fn: string, index: number, param: Param, value: unknown): unknown {
  const where = `${fn}: argument ${index + 1} (${param.name})`;
  switch (param.kind) {
    case 'string':
      if (typeof value !== 'string') throw new StorageError(`${where} must be a string, got ${typeName(value)}`);
      return value;
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        throw new StorageError(`${where} must be an integer, got ${typeof value === 'number' ? String(value) : typeName(value)}`);
      }
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new StorageError(`${where} must be a boolean, got ${typeName(value)}`);
      return value;
    case 'json':
      if (typeof value !== 'string') throw new StorageError(`${where} must be a JSON string, got ${typeName(value)}`);
      try {
        return JSON.parse(value) as unknown;
      } catch (err) {
        throw new StorageError(`${where} is not valid JSON: ${errorText(err)}`);
      }
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new StorageError(`${where} must be an object, got ${typeName(value)}`);
      }
      return value;
  }
}

/** Checks and decodes the arguments; extra trailing arguments are ignored. */
export function decodeArgs(fn: string, params: readonly Param[], args: readonly unknown[]): unknown[] {
  if (args.length < params.length) {
    throw new StorageError(`${fn}: expected ${params.length} argument(s) (${params.map((p) => p.name).join(', ')}), got ${args.length}`);
  }
  const out = new Array<unknown>(params.length);
  for (let i = 0; i < params.length; i++) out[i] = decodeOne(fn, i, params[i] as Param, args[i]);
  return out;
}
