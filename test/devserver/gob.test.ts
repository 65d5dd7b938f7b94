import { describe, expect, it } from 'vitest';
import { decodeGob, isGobStruct } from '../../src/devserver/gob/decode.ts';
import { encodeGobStruct } from '../../src/devserver/gob/encode.ts';
import { GobError, GobReader, GobWriter, unzigzag, zigzag } from '../../src/devserver/gob/wire.ts';
import { decodeWsRequestGob, decodeWsResponseGob, encodeWsRequestGob, encodeWsResponseGob, type WsRequest } from '../../src/devserver/gob/ws-messages.ts';

/** Hex with spaces, and "quoted" ASCII runs, the way a frame dump is easiest to read. */
function bytesOf(spec: string): Uint8Array {
  const out: number[] = [];
  for (const token of spec.match(/"[^"]*"|[0-9a-f]+/gi) ?? []) {
    if (token.startsWith('"')) out.push(...new TextEncoder().encode(token.slice(1, -1)));
    else for (let i = 0; i < token.length; i += 2) out.push(parseInt(token.slice(i, i + 2), 16));
  }
  return Uint8Array.from(out);
}

const WORKED_EXAMPLE = bytesOf(`
60 ff81 03 01 01 04 "Resp" 01 ff82 00 01 06
   01 0d "ReqIdentifier" 01 04 00   01 07 "MsgIncr" 01 0c 00   01 0b "OperationID" 01 0c 00
   01 07 "ErrCode" 01 04 00        01 06 "ErrMsg" 01 0c 00    01 04 "Data" 01 0a 00
   00 00
15 ff82 01 fe07d2 01 03 "u_1" 01 02 "op" 03 03 010203 00`);

/** The core's GetNewestSeq frame as seen on the wire (docs/im-server.md#frames), with a full type definition. */
const CORE_REQUEST = bytesOf(`
65 7f 03 01 01 0c "GeneralWsReq" 01 ff80 00 01 06
   01 0d "ReqIdentifier" 01 04 00   01 05 "Token" 01 0c 00   01 06 "SendID" 01 0c 00
   01 0b "OperationID" 01 0c 00     01 07 "MsgIncr" 01 0c 00  01 04 "Data" 01 0a 00
   00 00
3c ff80 01 fe07d2 02 05 "userA" 01 08 "op-login" 01 19 "userA_1795000000000000000" 01 07 0a05 "userA" 00`);

describe('gob wire primitives', () => {
  it('encodes unsigned ints as Go does', () => {
    expect([...new GobWriter().uint(0).finish()]).toEqual([0]);
    expect([...new GobWriter().uint(127).finish()]).toEqual([0x7f]);
    expect([...new GobWriter().uint(128).finish()]).toEqual([0xff, 0x80]);
    expect([...new GobWriter().uint(256).finish()]).toEqual([0xfe, 0x01, 0x00]);
    expect([...new GobWriter().uint(2n ** 64n - 1n).finish()]).toEqual([0xf8, ...new Array<number>(8).fill(0xff)]);
  });

  it('zig-zags signed ints (1001 → fe07d2, -65 → ff81)', () => {
    expect([...new GobWriter().int(1001).finish()]).toEqual([0xfe, 0x07, 0xd2]);
    expect([...new GobWriter().int(-65).finish()]).toEqual([0xff, 0x81]);
    for (const v of [0n, 1n, -1n, 63n, -64n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n]) expect(unzigzag(zigzag(v))).toBe(v);
  });

  it('round-trips through the reader', () => {
    const bytes = new GobWriter()
      .uint(300)
      .int(-5)
      .string('héllo')
      .bytes(new Uint8Array([1, 2]))
      .finish();
    const r = new GobReader(bytes);
    expect(r.uint()).toBe(300n);
    expect(r.int()).toBe(-5n);
    expect(r.string()).toBe('héllo');
    expect([...r.bytes()]).toEqual([1, 2]);
    expect(r.remaining).toBe(0);
  });

  it('rejects a count byte announcing more than 8 bytes, and truncated data', () => {
    expect(() => new GobReader(Uint8Array.of(0xf7, 1, 2, 3, 4, 5, 6, 7, 8, 9)).uint()).toThrow(GobError);
    expect(() => new GobReader(Uint8Array.of(0xfe, 1)).uint()).toThrow(GobError);
    expect(() => new GobReader(Uint8Array.of(5, 0x61)).string()).toThrow(GobError);
  });
});

describe('a worked example the core accepted (server Resp)', () => {
  it('is exactly what we encode', () => {
    const frame = encodeWsResponseGob({
      reqIdentifier: 1001,
      msgIncr: 'u_1',
      operationID: 'op',
      errCode: 0,
      errMsg: '',
      data: Uint8Array.of(1, 2, 3),
    });
    expect(Buffer.from(frame).toString('hex')).toBe(Buffer.from(WORKED_EXAMPLE).toString('hex'));
    expect(WORKED_EXAMPLE[0]).toBe(0x60);
    expect(WORKED_EXAMPLE.length).toBe(1 + 0x60 + 1 + 0x15);
  });

  it('decodes back to the same value', () => {
    expect(decodeWsResponseGob(WORKED_EXAMPLE)).toEqual({
      reqIdentifier: 1001,
      msgIncr: 'u_1',
      operationID: 'op',
      errCode: 0,
      errMsg: '',
      data: Uint8Array.of(1, 2, 3),
    });
  });
});

describe('client requests', () => {
  it('decodes the core GetNewestSeq frame', () => {
    const req = decodeWsRequestGob(CORE_REQUEST);
    expect(req.reqIdentifier).toBe(1001);
    expect(req.token).toBe('');
    expect(req.sendID).toBe('userA');
    expect(req.operationID).toBe('op-login');
    expect(req.msgIncr).toBe('userA_1795000000000000000');
    expect(Buffer.from(req.data).toString('hex')).toBe('0a057573657241');
  });

  it('our client encoding is the core encoding', () => {
    const req: WsRequest = {
      reqIdentifier: 1001,
      token: '',
      sendID: 'userA',
      operationID: 'op-login',
      msgIncr: 'userA_1795000000000000000',
      data: bytesOf('0a05 "userA"'),
    };
    expect(Buffer.from(encodeWsRequestGob(req)).toString('hex')).toBe(Buffer.from(CORE_REQUEST).toString('hex'));
  });

  it('round-trips negative identifiers, errors and large payloads', () => {
    const data = new Uint8Array(70_000).map((_, i) => i & 0xff);
    const resp = { reqIdentifier: 2002, msgIncr: '', operationID: 'x', errCode: -1, errMsg: 'bad', data };
    expect(decodeWsResponseGob(encodeWsResponseGob(resp))).toEqual(resp);
    const req = { reqIdentifier: -7, token: 't', sendID: 's', operationID: 'o', msgIncr: 'm', data: new Uint8Array(0) };
    expect(decodeWsRequestGob(encodeWsRequestGob(req))).toEqual(req);
  });

  it('matches fields by name whatever the order, type name or id, and ignores unknown fields', () => {
    const frame = encodeGobStruct(
      {
        name: 'Whatever',
        typeId: 99,
        fields: [
          { name: 'Extra', kind: 'uint' },
          { name: 'MsgIncr', kind: 'string' },
          { name: 'ReqIdentifier', kind: 'int' },
          { name: 'SendID', kind: 'string' },
        ],
      },
      { Extra: 7, MsgIncr: 'm', ReqIdentifier: 1006, SendID: 'bob' },
    );
    expect(decodeWsRequestGob(frame)).toMatchObject({ reqIdentifier: 1006, msgIncr: 'm', sendID: 'bob', data: new Uint8Array(0) });
  });

  it('refuses what Go would refuse', () => {
    const schema = (kind: 'uint' | 'string') => ({ name: 'R', typeId: 70, fields: [{ name: 'ReqIdentifier', kind }] });
    // uint on the wire, int in the struct: a type mismatch in Go.
    expect(() => decodeWsRequestGob(encodeGobStruct(schema('uint'), { ReqIdentifier: 1 }))).toThrow(/type mismatch/);
    // no field in common
    expect(() => decodeWsRequestGob(encodeGobStruct({ name: 'R', typeId: 70, fields: [{ name: 'Nope', kind: 'int' }] }, { Nope: 1 }))).toThrow(/no fields matched/);
    // int32 overflow
    expect(() => decodeWsRequestGob(encodeGobStruct({ name: 'R', typeId: 70, fields: [{ name: 'ReqIdentifier', kind: 'int' }] }, { ReqIdentifier: 2 ** 40 }))).toThrow(
      /out of range/,
    );
    // truncations of a valid frame never decode silently
    for (let n = 0; n < CORE_REQUEST.length - 1; n++) {
      expect(() => decodeWsRequestGob(CORE_REQUEST.subarray(0, n)), `prefix ${n}`).toThrow(GobError);
    }
  });

  it('survives random bytes without anything but GobError', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const frame = Uint8Array.from({ length: 1 + (rnd() % 64) }, rnd);
      try {
        decodeWsRequestGob(frame);
      } catch (err) {
        expect(err).toBeInstanceOf(GobError);
      }
    }
    // also mutate valid frames byte by byte
    for (let i = 0; i < CORE_REQUEST.length; i++) {
      const frame = CORE_REQUEST.slice();
      frame[i] = (frame[i]! + 0x55) & 0xff;
      try {
        decodeWsRequestGob(frame);
      } catch (err) {
        expect(err).toBeInstanceOf(GobError);
      }
    }
  });
});

describe('generic decoding', () => {
  it('decodes slices, maps and nested structs the way Go sends them', () => {
    // type 65: struct { Names []string (type 66); Inner struct{N int} (type 67); M map[string]int (type 68) }
    const w = new GobWriter();
    const def = (id: number, body: (x: GobWriter) => void) => {
      const inner = new GobWriter().int(-id);
      body(inner);
      const b = inner.finish();
      w.uint(b.length).raw(b);
    };
    def(66, (x) => x.uint(2).uint(1).uint(1).string('[]string').uint(1).int(66).uint(0).uint(1).int(6).uint(0).uint(0));
    def(67, (x) => x.uint(3).uint(1).uint(1).string('Inner').uint(1).int(67).uint(0).uint(1).uint(1).uint(1).string('N').uint(1).int(2).uint(0).uint(0).uint(0));
    def(68, (x) => x.uint(4).uint(1).uint(1).string('map[string]int').uint(1).int(68).uint(0).uint(1).int(6).uint(1).int(2).uint(0).uint(0));
    def(65, (x) =>
      x
        .uint(3)
        .uint(1)
        .uint(1)
        .string('Outer')
        .uint(1)
        .int(65)
        .uint(0)
        .uint(1)
        .uint(3)
        .uint(1)
        .string('Names')
        .uint(1)
        .int(66)
        .uint(0)
        .uint(1)
        .string('Inner')
        .uint(1)
        .int(67)
        .uint(0)
        .uint(1)
        .string('M')
        .uint(1)
        .int(68)
        .uint(0)
        .uint(0)
        .uint(0),
    );
    const value = new GobWriter().int(65).uint(1).uint(2).string('a').string('b').uint(1).uint(1).int(-3).uint(0).uint(1).uint(1).string('k').int(9).uint(0).finish();
    w.uint(value.length).raw(value);
    const decoded = decodeGob(w.finish());
    expect(isGobStruct(decoded.value)).toBe(true);
    if (!isGobStruct(decoded.value)) return;
    expect(decoded.value.fields.get('Names')?.value).toEqual(['a', 'b']);
    const inner = decoded.value.fields.get('Inner')?.value;
    expect(inner !== undefined && isGobStruct(inner) ? inner.fields.get('N')?.value : undefined).toBe(-3n);
    expect(decoded.value.fields.get('M')?.value).toEqual(new Map([['k', 9n]]));
  });
});
