/**
 * gob's type system as it travels on the wire: built-in type ids, and the `wireType`
 * definitions a stream sends before the first value of a user type.
 */
import { GobError, type GobReader, type GobWriter } from './wire.ts';

export const BuiltinTypeId = {
  bool: 1,
  int: 2,
  uint: 3,
  float: 4,
  bytes: 5,
  string: 6,
  complex: 7,
  interface: 8,
} as const;

export type BuiltinKind = keyof typeof BuiltinTypeId;

/** gob hands out ids from 64 up for types a program defines. */
export const FIRST_USER_TYPE_ID = 64;

export interface FieldDef {
  readonly name: string;
  readonly id: number;
}

export type GobType =
  | { readonly kind: BuiltinKind }
  | { readonly kind: 'struct'; readonly name: string; readonly fields: readonly FieldDef[] }
  | { readonly kind: 'slice'; readonly name: string; readonly elem: number }
  | { readonly kind: 'array'; readonly name: string; readonly elem: number; readonly len: number }
  | { readonly kind: 'map'; readonly name: string; readonly key: number; readonly elem: number }
  /** GobEncoder / BinaryMarshaler / TextMarshaler types: their value is a byte string. */
  | { readonly kind: 'marshaler'; readonly name: string };

const BUILTINS: ReadonlyMap<number, GobType> = new Map((Object.entries(BuiltinTypeId) as [BuiltinKind, number][]).map(([kind, id]) => [id, { kind }]));

export function builtinType(id: number): GobType | undefined {
  return BUILTINS.get(id);
}

/** Reads a struct's fields: calls `field(index)` for each one present, which must consume its value. */
export function readFields(r: GobReader, field: (index: number) => void): void {
  let index = -1;
  for (;;) {
    const delta = r.uint();
    if (delta === 0n) return;
    if (delta > 1024n) throw new GobError(`field delta ${delta} out of range`);
    index += Number(delta);
    field(index);
  }
}

function typeIdValue(r: GobReader): number {
  const id = r.int();
  if (id < -0x7fffffffn || id > 0x7fffffffn) throw new GobError(`type id ${id} out of range`);
  return Number(id);
}

function readCommon(r: GobReader): { name: string; id: number } {
  const common = { name: '', id: 0 };
  readFields(r, (i) => {
    if (i === 0) common.name = r.string();
    else if (i === 1) common.id = typeIdValue(r);
    else throw new GobError(`CommonType has no field ${i}`);
  });
  return common;
}

function readStructType(r: GobReader): GobType {
  let name = '';
  const fields: FieldDef[] = [];
  readFields(r, (i) => {
    if (i === 0) {
      name = readCommon(r).name;
    } else if (i === 1) {
      const count = r.length('field count');
      for (let n = 0; n < count; n++) {
        const f = { name: '', id: 0 };
        readFields(r, (j) => {
          if (j === 0) f.name = r.string();
          else if (j === 1) f.id = typeIdValue(r);
          else throw new GobError(`fieldType has no field ${j}`);
        });
        fields.push(f);
      }
    } else {
      throw new GobError(`structType has no field ${i}`);
    }
  });
  return { kind: 'struct', name, fields };
}

function readContainer(r: GobReader, kind: 'slice' | 'array' | 'map'): GobType {
  let name = '';
  let elem = 0;
  let key = 0;
  let len = 0;
  readFields(r, (i) => {
    if (i === 0) name = readCommon(r).name;
    else if (i === 1 && kind === 'map') key = typeIdValue(r);
    else if (i === 1) elem = typeIdValue(r);
    else if (i === 2 && kind === 'map') elem = typeIdValue(r);
    else if (i === 2 && kind === 'array') {
      const n = r.int();
      if (n < 0n || n > 1n << 31n) throw new GobError(`array length ${n} out of range`);
      len = Number(n);
    } else throw new GobError(`${kind}Type has no field ${i}`);
  });
  if (kind === 'map') return { kind, name, key, elem };
  if (kind === 'array') return { kind, name, elem, len };
  return { kind, name, elem };
}

/** Decodes one `wireType` value (the body of a type-definition message). */
export function readWireType(r: GobReader): GobType {
  let type: GobType | undefined;
  readFields(r, (i) => {
    if (type !== undefined) throw new GobError('wireType defines more than one type');
    switch (i) {
      case 0:
        type = readContainer(r, 'array');
        break;
      case 1:
        type = readContainer(r, 'slice');
        break;
      case 2:
        type = readStructType(r);
        break;
      case 3:
        type = readContainer(r, 'map');
        break;
      case 4:
      case 5:
      case 6:
        type = { kind: 'marshaler', name: readCommon(r).name };
        break;
      default:
        throw new GobError(`wireType has no field ${i}`);
    }
  });
  if (type === undefined) throw new GobError('empty type definition');
  return type;
}

/** The wireType bytes for a struct of the given fields (what an encoder sends once per stream). */
export function writeStructWireType(w: GobWriter, name: string, id: number, fields: readonly FieldDef[]): void {
  w.uint(3); // wireType.StructT
  w.uint(1); // structType.CommonType
  w.uint(1).string(name);
  w.uint(1).int(id);
  w.uint(0);
  w.uint(1).uint(fields.length); // structType.Field
  for (const f of fields) {
    w.uint(1).string(f.name);
    w.uint(1).int(f.id);
    w.uint(0);
  }
  w.uint(0); // end structType
  w.uint(0); // end wireType
}
