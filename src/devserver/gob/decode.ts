/**
 * Decodes the first value of a gob stream into a generic tree, with the wire types it
 * was described by. Mapping that tree onto a Go-side struct (matching fields by name,
 * checking kinds) is ws-messages.ts's job.
 *
 * Follows Go's decoder where a peer can notice: type definitions must fill their whole
 * message, a non-struct top-level value starts with a zero delta, trailing bytes after
 * the value are ignored. Interface values are not supported (nothing in this protocol
 * sends them); they are reported as a decode error.
 */
import { FIRST_USER_TYPE_ID, builtinType, readFields, readWireType, type GobType } from './types.ts';
import { GobError, GobReader } from './wire.ts';

export type GobValue = bigint | number | boolean | string | Uint8Array | readonly [number, number] | readonly GobValue[] | ReadonlyMap<GobValue, GobValue> | GobStruct;

export interface GobFieldValue {
  readonly typeId: number;
  readonly value: GobValue;
}

export interface GobStruct {
  readonly typeName: string;
  /** Only the fields the sender included (gob leaves zero values out). */
  readonly fields: ReadonlyMap<string, GobFieldValue>;
}

export interface DecodedGob {
  readonly typeId: number;
  readonly value: GobValue;
  /** Every type the stream defined, for kind checks. */
  readonly types: TypeTable;
}

const MAX_DEPTH = 64;

export class TypeTable {
  readonly #defined = new Map<number, GobType>();

  define(id: number, type: GobType): void {
    if (id < FIRST_USER_TYPE_ID) throw new GobError(`type id ${id} is reserved`);
    if (this.#defined.has(id)) throw new GobError('duplicate type received');
    this.#defined.set(id, type);
  }

  get(id: number): GobType {
    const type = builtinType(id) ?? this.#defined.get(id);
    if (type === undefined) throw new GobError(`unknown type id ${id}`);
    return type;
  }
}

function float(u: bigint): number {
  // gob stores a float64's bits byte-reversed, so that small exponents encode short.
  let bits = 0n;
  for (let i = 0n; i < 8n; i++) bits = (bits << 8n) | ((u >> (8n * i)) & 0xffn);
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

function decodeStruct(r: GobReader, type: GobType & { kind: 'struct' }, types: TypeTable, depth: number): GobStruct {
  const fields = new Map<string, GobFieldValue>();
  readFields(r, (index) => {
    const def = type.fields[index];
    if (def === undefined) throw new GobError(`field number ${index} out of range in ${type.name}`);
    fields.set(def.name, { typeId: def.id, value: decodeValue(r, def.id, types, depth + 1) });
  });
  return { typeName: type.name, fields };
}

function decodeValue(r: GobReader, typeId: number, types: TypeTable, depth: number): GobValue {
  if (depth > MAX_DEPTH) throw new GobError('value nested too deeply');
  const type = types.get(typeId);
  switch (type.kind) {
    case 'bool':
      return r.uint() !== 0n;
    case 'int':
      return r.int();
    case 'uint':
      return r.uint();
    case 'float':
      return float(r.uint());
    case 'complex':
      return [float(r.uint()), float(r.uint())] as const;
    case 'bytes':
    case 'marshaler':
      return r.bytes();
    case 'string':
      return r.string();
    case 'interface':
      throw new GobError('interface values are not supported');
    case 'struct':
      return decodeStruct(r, type, types, depth);
    case 'slice': {
      // Every element takes at least one byte, which bounds an honest count.
      const count = r.length('slice length');
      const out: GobValue[] = [];
      for (let i = 0; i < count; i++) out.push(decodeValue(r, type.elem, types, depth + 1));
      return out;
    }
    case 'array': {
      const count = r.length('array length');
      if (count !== type.len) throw new GobError(`length mismatch in array ${type.name}`);
      const out: GobValue[] = [];
      for (let i = 0; i < count; i++) out.push(decodeValue(r, type.elem, types, depth + 1));
      return out;
    }
    case 'map': {
      const count = r.length('map length');
      const out = new Map<GobValue, GobValue>();
      for (let i = 0; i < count; i++) {
        const key = decodeValue(r, type.key, types, depth + 1);
        out.set(key, decodeValue(r, type.elem, types, depth + 1));
      }
      return out;
    }
  }
}

/** Decodes the first value in `bytes` (a whole stream, as one WS frame carries). */
export function decodeGob(bytes: Uint8Array): DecodedGob {
  const r = new GobReader(bytes);
  const types = new TypeTable();
  for (;;) {
    if (r.remaining === 0) throw new GobError('no value in stream');
    const length = r.length('message length');
    if (length === 0) throw new GobError('empty message');
    const m = r.take(length);
    const id = m.int();
    if (id < 0n) {
      if (id < -0x7fffffffn) throw new GobError(`type id ${id} out of range`);
      types.define(Number(-id), readWireType(m));
      if (m.remaining > 0) throw new GobError('extra data in buffer');
      continue;
    }
    if (id > 0x7fffffffn || id === 0n) throw new GobError(`type id ${id} out of range`);
    const typeId = Number(id);
    const type = types.get(typeId);
    if (type.kind !== 'struct' && m.uint() !== 0n) throw new GobError('corrupted data: non-zero delta for singleton');
    return { typeId, value: decodeValue(m, typeId, types, 0), types };
  }
}

export function isGobStruct(v: GobValue): v is GobStruct {
  return typeof v === 'object' && v !== null && 'fields' in v && 'typeName' in v;
}
