/**
 * Encodes one struct value as a complete gob stream: the type definition message, then
 * the value message (docs/im-server.md#frames; the peer uses a fresh decoder per frame, so every frame
 * carries the definition). Only flat structs of built-in kinds are needed here.
 */
import { BuiltinTypeId, writeStructWireType } from './types.ts';
import { GobWriter } from './wire.ts';

export type GobFieldKind = 'int' | 'uint' | 'bool' | 'string' | 'bytes';

export interface GobStructSchema {
  /** Go type name; the peer matches fields by name, so this is informational. */
  readonly name: string;
  readonly typeId: number;
  readonly fields: readonly { readonly name: string; readonly kind: GobFieldKind }[];
}

export type GobFieldInput = bigint | number | boolean | string | Uint8Array | undefined;

const definitions = new WeakMap<GobStructSchema, Uint8Array>();

function message(typeId: number, body: (w: GobWriter) => void): Uint8Array {
  const inner = new GobWriter().int(typeId);
  body(inner);
  const bytes = inner.finish();
  return new GobWriter().uint(bytes.length).raw(bytes).finish();
}

function definition(schema: GobStructSchema): Uint8Array {
  let bytes = definitions.get(schema);
  if (bytes === undefined) {
    const fields = schema.fields.map((f) => ({ name: f.name, id: BuiltinTypeId[f.kind] }));
    bytes = message(-schema.typeId, (w) => writeStructWireType(w, schema.name, schema.typeId, fields));
    definitions.set(schema, bytes);
  }
  return bytes;
}

function isZero(v: GobFieldInput): boolean {
  if (v === undefined || v === false || v === 0 || v === 0n || v === '') return true;
  return v instanceof Uint8Array && v.length === 0;
}

function writeField(w: GobWriter, kind: GobFieldKind, v: Exclude<GobFieldInput, undefined>, name: string): void {
  const wrong = (): never => {
    throw new TypeError(`gob field ${name} (${kind}) cannot hold ${typeof v}`);
  };
  switch (kind) {
    case 'int':
      if (typeof v === 'number' || typeof v === 'bigint') w.int(BigInt(v));
      else wrong();
      return;
    case 'uint':
      if (typeof v === 'number' || typeof v === 'bigint') w.uint(BigInt(v));
      else wrong();
      return;
    case 'bool':
      if (typeof v === 'boolean') w.uint(v ? 1 : 0);
      else wrong();
      return;
    case 'string':
      if (typeof v === 'string') w.string(v);
      else wrong();
      return;
    case 'bytes':
      if (v instanceof Uint8Array) w.bytes(v);
      else wrong();
      return;
  }
}

export function encodeGobStruct(schema: GobStructSchema, values: Readonly<Record<string, GobFieldInput>>): Uint8Array {
  const value = message(schema.typeId, (w) => {
    let last = -1;
    schema.fields.forEach((field, index) => {
      const v = values[field.name];
      if (v === undefined || isZero(v)) return;
      w.uint(index - last);
      writeField(w, field.kind, v, field.name);
      last = index;
    });
    w.uint(0);
  });
  const def = definition(schema);
  const out = new Uint8Array(def.length + value.length);
  out.set(def, 0);
  out.set(value, def.length);
  return out;
}
