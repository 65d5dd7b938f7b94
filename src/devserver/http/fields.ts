/**
 * Reads request bodies the way the real API's Go JSON binding does: a missing field or
 * `null` is the zero value, keys match case-insensitively (an exact match wins), and a
 * value of the wrong JSON type is an argument error (1001) naming the field.
 */
import { ImError } from '../protocol/im-error-codes.ts';

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

export class Fields {
  readonly #obj: Readonly<Record<string, unknown>>;
  readonly #path: string;

  constructor(obj: Readonly<Record<string, unknown>>, path = '') {
    this.#obj = obj;
    this.#path = path;
  }

  /** A request body: JSON `null` reads as an empty object, anything but an object is an error. */
  static ofBody(body: unknown, typeName: string): Fields {
    if (body === null) return new Fields({}, typeName);
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new ImError('ArgsError', '', `json: cannot unmarshal ${jsonType(body)} into Go value of type ${typeName}`);
    }
    return new Fields(body as Record<string, unknown>, typeName);
  }

  #raw(name: string): unknown {
    if (Object.hasOwn(this.#obj, name)) return this.#obj[name];
    const lower = name.toLowerCase();
    for (const [key, value] of Object.entries(this.#obj)) if (key.toLowerCase() === lower) return value;
    return undefined;
  }

  #mismatch(name: string, value: unknown, goType: string): ImError {
    return new ImError('ArgsError', '', `json: cannot unmarshal ${jsonType(value)} into Go struct field ${this.#path}.${name} of type ${goType}`);
  }

  has(name: string): boolean {
    const v = this.#raw(name);
    return v !== undefined && v !== null;
  }

  string(name: string): string {
    return this.optionalString(name) ?? '';
  }

  /** For protobuf wrapper fields (`StringValue`): null or missing is "not set". */
  optionalString(name: string): string | undefined {
    const v = this.#raw(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw this.#mismatch(name, v, 'string');
    return v;
  }

  int(name: string): number {
    return this.optionalInt(name) ?? 0;
  }

  optionalInt(name: string): number | undefined {
    const v = this.#raw(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.#mismatch(name, v, 'int64');
    return v;
  }

  bool(name: string): boolean {
    return this.optionalBool(name) ?? false;
  }

  optionalBool(name: string): boolean | undefined {
    const v = this.#raw(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw this.#mismatch(name, v, 'bool');
    return v;
  }

  strings(name: string): string[] {
    const v = this.#raw(name);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw this.#mismatch(name, v, '[]string');
    return v.map((item: unknown) => {
      if (typeof item !== 'string') throw this.#mismatch(name, item, 'string');
      return item;
    });
  }

  ints(name: string): number[] {
    const v = this.#raw(name);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw this.#mismatch(name, v, '[]int64');
    return v.map((item: unknown) => {
      if (typeof item !== 'number' || !Number.isInteger(item)) throw this.#mismatch(name, item, 'int64');
      return item;
    });
  }

  object(name: string): Fields | undefined {
    const v = this.#raw(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw this.#mismatch(name, v, 'struct');
    return new Fields(v as Record<string, unknown>, `${this.#path}.${name}`);
  }

  /** Elements may be null (Go leaves a nil pointer there); they read as undefined. */
  objects(name: string): (Fields | undefined)[] {
    const v = this.#raw(name);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw this.#mismatch(name, v, '[]struct');
    return v.map((item: unknown) => {
      if (item === null) return undefined;
      if (typeof item !== 'object' || Array.isArray(item)) throw this.#mismatch(name, item, 'struct');
      return new Fields(item as Record<string, unknown>, `${this.#path}.${name}`);
    });
  }

  /** `{"pageNumber", "showNumber"}`; absent pagination pages nothing out. */
  pagination(name = 'pagination'): { pageNumber: number; showNumber: number } | undefined {
    const p = this.object(name);
    return p === undefined ? undefined : { pageNumber: p.int('pageNumber'), showNumber: p.int('showNumber') };
  }
}

/** One page (1-based) of a list; no pagination means everything, as the real paging helper does. */
export function page<T>(items: readonly T[], pagination: { pageNumber: number; showNumber: number } | undefined): T[] {
  if (pagination === undefined || pagination.pageNumber <= 0 || pagination.showNumber <= 0) return [...items];
  const start = (pagination.pageNumber - 1) * pagination.showNumber;
  return items.slice(start, start + pagination.showNumber);
}
