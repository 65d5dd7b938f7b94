/**
 * The two values the long connection carries (docs/im-server.md#frames): GeneralWsReq (client → server)
 * and GeneralWsResp (server → client), in gob, both ways.
 *
 * Decoding follows Go's rules for a struct destination: fields are matched by exact
 * name, fields the destination lacks are ignored, a kind mismatch or an out-of-range
 * int is an error, and a value sharing no field with the destination is an error.
 */
import { decodeGob, isGobStruct, type DecodedGob, type GobValue } from './decode.ts';
import { encodeGobStruct, type GobFieldKind, type GobStructSchema } from './encode.ts';
import { FIRST_USER_TYPE_ID } from './types.ts';
import { GobError } from './wire.ts';

export interface WsRequest {
  reqIdentifier: number;
  token: string;
  sendID: string;
  operationID: string;
  msgIncr: string;
  data: Uint8Array;
}

export interface WsResponse {
  reqIdentifier: number;
  msgIncr: string;
  operationID: string;
  errCode: number;
  errMsg: string;
  data: Uint8Array;
}

/** Field order as the real client sends it; the core's type got id 64 [observed]. */
export const WS_REQUEST_SCHEMA: GobStructSchema = {
  name: 'GeneralWsReq',
  typeId: FIRST_USER_TYPE_ID,
  fields: [
    { name: 'ReqIdentifier', kind: 'int' },
    { name: 'Token', kind: 'string' },
    { name: 'SendID', kind: 'string' },
    { name: 'OperationID', kind: 'string' },
    { name: 'MsgIncr', kind: 'string' },
    { name: 'Data', kind: 'bytes' },
  ],
};

/** The real server's `Resp`, type id 65: this exact encoding was accepted by the core [observed]. */
export const WS_RESPONSE_SCHEMA: GobStructSchema = {
  name: 'Resp',
  typeId: FIRST_USER_TYPE_ID + 1,
  fields: [
    { name: 'ReqIdentifier', kind: 'int' },
    { name: 'MsgIncr', kind: 'string' },
    { name: 'OperationID', kind: 'string' },
    { name: 'ErrCode', kind: 'int' },
    { name: 'ErrMsg', kind: 'string' },
    { name: 'Data', kind: 'bytes' },
  ],
};

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
/** Go's `int` on the 64-bit servers this mirrors. */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

type Destination = Readonly<Record<string, { kind: GobFieldKind; bits?: 32 | 64 }>>;

function readStruct(decoded: DecodedGob, dest: Destination, typeName: string): Map<string, GobValue> {
  const { value, types } = decoded;
  if (!isGobStruct(value)) throw new GobError(`type mismatch: ${typeName} is a struct, the stream sent a ${types.get(decoded.typeId).kind}`);
  const out = new Map<string, GobValue>();
  let matched = 0;
  const wireType = types.get(decoded.typeId);
  const wireFields = wireType.kind === 'struct' ? wireType.fields : [];
  for (const field of wireFields) {
    const want = dest[field.name];
    if (want === undefined) continue;
    const kind = types.get(field.id).kind;
    if (kind !== want.kind) throw new GobError(`type mismatch in ${typeName}.${field.name}: wire ${kind}, want ${want.kind}`);
    matched++;
  }
  if (matched === 0) throw new GobError(`type mismatch: no fields matched compiling decoder for ${typeName}`);
  for (const [name, field] of value.fields) {
    const want = dest[name];
    if (want === undefined) continue;
    if (want.kind === 'int' && typeof field.value === 'bigint') {
      const [min, max] = want.bits === 32 ? [INT32_MIN, INT32_MAX] : [INT64_MIN, INT64_MAX];
      if (field.value < min || field.value > max) throw new GobError(`value out of range for ${typeName}.${name}`);
    }
    out.set(name, field.value);
  }
  return out;
}

function str(fields: Map<string, GobValue>, name: string): string {
  const v = fields.get(name);
  return typeof v === 'string' ? v : '';
}

function int(fields: Map<string, GobValue>, name: string): number {
  const v = fields.get(name);
  return typeof v === 'bigint' ? Number(v) : 0;
}

function bytes(fields: Map<string, GobValue>, name: string): Uint8Array {
  const v = fields.get(name);
  return v instanceof Uint8Array ? v : new Uint8Array(0);
}

/** What the real server decodes a client frame into (its `Req`: ReqIdentifier is an int32). */
const REQ_DESTINATION: Destination = {
  ReqIdentifier: { kind: 'int', bits: 32 },
  Token: { kind: 'string' },
  SendID: { kind: 'string' },
  OperationID: { kind: 'string' },
  MsgIncr: { kind: 'string' },
  Data: { kind: 'bytes' },
};

/** What the core decodes a server frame into (ErrCode is a Go int). */
const RESP_DESTINATION: Destination = {
  ReqIdentifier: { kind: 'int', bits: 32 },
  MsgIncr: { kind: 'string' },
  OperationID: { kind: 'string' },
  ErrCode: { kind: 'int', bits: 64 },
  ErrMsg: { kind: 'string' },
  Data: { kind: 'bytes' },
};

export function decodeWsRequestGob(frame: Uint8Array): WsRequest {
  const f = readStruct(decodeGob(frame), REQ_DESTINATION, 'Req');
  return {
    reqIdentifier: int(f, 'ReqIdentifier'),
    token: str(f, 'Token'),
    sendID: str(f, 'SendID'),
    operationID: str(f, 'OperationID'),
    msgIncr: str(f, 'MsgIncr'),
    data: bytes(f, 'Data'),
  };
}

export function encodeWsResponseGob(resp: WsResponse): Uint8Array {
  return encodeGobStruct(WS_RESPONSE_SCHEMA, {
    ReqIdentifier: resp.reqIdentifier,
    MsgIncr: resp.msgIncr,
    OperationID: resp.operationID,
    ErrCode: resp.errCode,
    ErrMsg: resp.errMsg,
    Data: resp.data,
  });
}

/** Client side (tests, scripts): what the core sends. */
export function encodeWsRequestGob(req: WsRequest): Uint8Array {
  return encodeGobStruct(WS_REQUEST_SCHEMA, {
    ReqIdentifier: req.reqIdentifier,
    Token: req.token,
    SendID: req.sendID,
    OperationID: req.operationID,
    MsgIncr: req.msgIncr,
    Data: req.data,
  });
}

/** Client side (tests, scripts): what the core reads. */
export function decodeWsResponseGob(frame: Uint8Array): WsResponse {
  const f = readStruct(decodeGob(frame), RESP_DESTINATION, 'GeneralWsResp');
  return {
    reqIdentifier: int(f, 'ReqIdentifier'),
    msgIncr: str(f, 'MsgIncr'),
    operationID: str(f, 'OperationID'),
    errCode: int(f, 'ErrCode'),
    errMsg: str(f, 'ErrMsg'),
    data: bytes(f, 'Data'),
  };
}
