/**
 * Typed protobuf encode/decode for the messages in proto-schema.ts, on protobufjs.
 */
import protobuf from 'protobufjs/light.js';
import { PROTO_SCHEMA, type ProtoName, type ProtoTypes } from './proto-schema.ts';

const root = protobuf.Root.fromJSON({ nested: PROTO_SCHEMA });
const types = new Map<ProtoName, protobuf.Type>();

function typeOf(name: ProtoName): protobuf.Type {
  let type = types.get(name);
  if (type === undefined) {
    type = root.lookupType(name);
    types.set(name, type);
  }
  return type;
}

const DECODE_OPTIONS: protobuf.IConversionOptions = {
  longs: Number,
  defaults: true,
  arrays: true,
  objects: true,
};

/** Partial input for encoding: unset fields take their proto3 default. */
export type ProtoInput<T> = T extends Uint8Array
  ? Uint8Array
  : T extends readonly (infer E)[]
    ? readonly ProtoInput<E>[]
    : T extends object
      ? { readonly [K in keyof T]?: ProtoInput<T[K]> | null }
      : T;

export function encodeProto<N extends ProtoName>(name: N, value: ProtoInput<ProtoTypes[N]>): Uint8Array {
  const type = typeOf(name);
  return type.encode(type.fromObject(value)).finish();
}

export class ProtoDecodeError extends Error {
  constructor(name: ProtoName, cause: unknown) {
    super(`cannot decode ${name}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ProtoDecodeError';
  }
}

export function decodeProto<N extends ProtoName>(name: N, bytes: Uint8Array): ProtoTypes[N] {
  const type = typeOf(name);
  let decoded: protobuf.Message;
  try {
    decoded = type.decode(bytes);
  } catch (err) {
    throw new ProtoDecodeError(name, err);
  }
  // toObject with these options yields exactly the ProtoTypes shape (the schema and the
  // interfaces are kept side by side in proto-schema.ts).
  return type.toObject(decoded, DECODE_OPTIONS) as ProtoTypes[N];
}
