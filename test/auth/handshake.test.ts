import { describe, expect, it } from 'vitest';
import { parseHandshakeQuery, type HandshakeResult } from '../../src/auth/handshake.ts';
import { parsePlatformID, PLATFORMS, platformName } from '../../src/auth/platforms.ts';

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJVc2VySUQiOiJhbGljZSIsIlBsYXRmb3JtSUQiOjUsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJlX2J5dGVz-_';

function message(r: HandshakeResult): string {
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r)}`);
  expect(r.status).toBe(400);
  return r.message;
}

describe('parsePlatformID', () => {
  it('knows IDs 1..11 by name', () => {
    expect(PLATFORMS.map((p) => p.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(platformName(5)).toBe('Web');
    expect(platformName(6)).toBe('MiniWeb');
    expect(platformName(42)).toBe('platform 42');
  });

  it.each([
    ['1', 1],
    ['5', 5],
    ['11', 11],
  ])('%s → %d', (text, id) => {
    expect(parsePlatformID(text)).toBe(id);
  });

  it.each(['0', '12', '-1', '+5', '05', '5.0', ' 5', '5 ', '0x5', '', 'web', '1e1', '999999999999'])('refuses %j', (text) => {
    expect(parsePlatformID(text)).toBeUndefined();
  });
});

describe('parseHandshakeQuery', () => {
  it('reads what client v3 sends, unencoded JWT included', () => {
    const r = parseHandshakeQuery(`/?sendID=alice&token=${JWT}&platformID=5&operationID=op-1`);
    expect(r).toEqual({ ok: true, params: { sendID: 'alice', token: JWT, platformID: 5, operationID: 'op-1' } });
  });

  it('ignores the path and accepts an absolute URL', () => {
    const a = parseHandshakeQuery(`/ws/v3?sendID=a&token=t&platformID=6&operationID=o`);
    const b = parseHandshakeQuery(`ws://host:10003/any?sendID=a&token=t&platformID=6&operationID=o`);
    expect(a).toEqual(b);
    expect(a.ok).toBe(true);
  });

  it('generates an operationID when the client sent none or an empty one (v2 clients)', () => {
    const none = parseHandshakeQuery('/?sendID=a&token=t&platformID=1', () => 'generated');
    const empty = parseHandshakeQuery('/?sendID=a&token=t&platformID=1&operationID=', () => 'generated');
    for (const r of [none, empty]) {
      expect(r.ok && r.params.operationID).toBe('generated');
    }
    const real = parseHandshakeQuery('/?sendID=a&token=t&platformID=1');
    expect(real.ok && real.params.operationID.length).toBeGreaterThan(0);
  });

  it('decodes percent-escapes and "+" like the Go servers did', () => {
    const r = parseHandshakeQuery('/?sendID=a%40b+c&token=t&platformID=1&operationID=o');
    expect(r.ok && r.params.sendID).toBe('a@b c');
  });

  const matrix: [string, string][] = [
    ['/', 'missing query parameter "sendID"'],
    ['/?token=t&platformID=1', 'missing query parameter "sendID"'],
    ['/?sendID=&token=t&platformID=1', 'query parameter "sendID" is empty'],
    ['/?sendID=a&platformID=1', 'missing query parameter "token"'],
    ['/?sendID=a&token=&platformID=1', 'query parameter "token" is empty'],
    ['/?sendID=a&token=t', 'missing query parameter "platformID"'],
    ['/?sendID=a&token=t&platformID=', 'query parameter "platformID" is empty'],
    ['/?sendID=a&token=t&platformID=web', 'query parameter "platformID" must be a platform ID from 1 to 11 (got "web")'],
    ['/?sendID=a&token=t&platformID=0', 'query parameter "platformID" must be a platform ID from 1 to 11 (got "0")'],
    ['/?sendID=a&token=t&platformID=12', 'query parameter "platformID" must be a platform ID from 1 to 11 (got "12")'],
    ['/?sendID=a&sendID=b&token=t&platformID=1', 'query parameter "sendID" is given more than once'],
    ['/?sendID=a&token=t&token=u&platformID=1', 'query parameter "token" is given more than once'],
    ['/?sendID=a&token=t&platformID=1&platformID=1', 'query parameter "platformID" is given more than once'],
    ['/?sendID=a&token=t&platformID=1&operationID=x&operationID=y', 'query parameter "operationID" is given more than once'],
    ['/?sendid=a&token=t&platformID=1', 'missing query parameter "sendID"'],
  ];
  it.each(matrix)('%s → 400 %s', (url, expected) => {
    expect(message(parseHandshakeQuery(url))).toBe(expected);
  });

  it('shortens a long echoed value', () => {
    const m = message(parseHandshakeQuery(`/?sendID=a&token=t&platformID=${'9'.repeat(500)}`));
    expect(m.length).toBeLessThan(120);
  });

  describe('bounds', () => {
    it('refuses a token over 4096 characters, takes one of 4096', () => {
      expect(message(parseHandshakeQuery(`/?sendID=a&token=${'t'.repeat(4097)}&platformID=5`))).toBe('query parameter "token" is longer than 4096 characters (4097)');
      expect(parseHandshakeQuery(`/?sendID=a&token=${'t'.repeat(4096)}&platformID=5`).ok).toBe(true);
    });

    it('refuses a sendID over 64 UTF-8 bytes, takes one of 64', () => {
      expect(message(parseHandshakeQuery(`/?sendID=${'a'.repeat(65)}&token=t&platformID=5`))).toBe(
        'query parameter "sendID" is longer than 64 bytes (65), the longest userID OpenIM stores',
      );
      // 22 three-byte characters: 66 bytes though only 22 characters.
      expect(message(parseHandshakeQuery(`/?sendID=${'%E4%BD%A0'.repeat(22)}&token=t&platformID=5`))).toContain('(66)');
      expect(parseHandshakeQuery(`/?sendID=${'a'.repeat(64)}&token=t&platformID=5`).ok).toBe(true);
      expect(parseHandshakeQuery(`/?sendID=${'%E4%BD%A0'.repeat(21)}a&token=t&platformID=5`).ok).toBe(true);
    });

    it('refuses an operationID over 256 characters, takes one of 256', () => {
      expect(message(parseHandshakeQuery(`/?sendID=a&token=t&platformID=5&operationID=${'o'.repeat(257)}`))).toBe(
        'query parameter "operationID" is longer than 256 characters (257)',
      );
      const r = parseHandshakeQuery(`/?sendID=a&token=t&platformID=5&operationID=${'o'.repeat(256)}`);
      expect(r.ok && r.params.operationID.length).toBe(256);
    });
  });
});
