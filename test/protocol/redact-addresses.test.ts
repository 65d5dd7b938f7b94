import { describe, expect, it } from 'vitest';
import { redactAddresses } from '../../src/protocol/redact-addresses.ts';

describe('redactAddresses', () => {
  it.each([
    // As the official core (3.8.5) answered through the gateway with its IM server unreachable.
    [
      'Network error ApiPost http.Client.Do failed Post "http://10.0.0.5:10002/user/get_users_info": net/http: fetch() failed: TypeError: fetch failed',
      'Network error ApiPost http.Client.Do failed Post "<url>": net/http: fetch() failed: TypeError: fetch failed',
    ],
    [
      'failed to WebSocket dial "ws://openim:10001?compression=gzip&platformID=5&sendID=alice&token=eyJhbGciOi.x.y": use of closed network connection',
      'failed to WebSocket dial "<url>": use of closed network connection',
    ],
    // Go's own network errors.
    ['dial tcp 10.0.0.5:10002: connect: connection refused', 'dial tcp <address>: connect: connection refused'],
    ['dial tcp openim:10002: i/o timeout', 'dial tcp <address>: i/o timeout'],
    ['dial tcp [fd00::5]:10002: connect: connection refused', 'dial tcp <address>: connect: connection refused'],
    ['read tcp 172.17.0.2:40622->10.0.0.5:10002: read: connection reset by peer', 'read tcp <address>: read: connection reset by peer'],
    ['dial tcp: lookup openim-api on 127.0.0.11:53: no such host', 'dial tcp: lookup <host> on <address>: no such host'],
    ['lookup openim: no such host', 'lookup <host>: no such host'],
    // Addresses standing anywhere.
    ['upstream im.internal.example:443 said no', 'upstream <address> said no'],
    ['peer 192.168.1.20 went away; so did localhost:8080', 'peer <address> went away; so did <address>'],
    ['https://im.example.com/api and wss://im.example.com', '<url> and <url>'],
  ])('%s', (text, expected) => {
    expect(redactAddresses(text)).toBe(expected);
  });

  it.each([
    'User ID not found fetch data not found, keys=[nobody]',
    'seq:100 maxSeq:12 conversationID:si_a_b',
    'strconv.ParseInt: parsing "1099511627776": value out of range',
    'errs.(*codeError).WrapMsg() github.com/openimsdk/tools@v0.0.50/errs/coderr.go:67',
    'record not found',
    '',
  ])('leaves text without addresses alone: %j', (text) => {
    expect(redactAddresses(text)).toBe(text);
  });

  it('stays linear on hostile texts (a sanity bound, not a benchmark)', () => {
    const n = 128 * 1024;
    for (const text of ['a.'.repeat(n / 2), '1.'.repeat(n / 2), 'a+'.repeat(n / 2), '['.concat(':'.repeat(n)), 'dial tcp '.repeat(n / 9)]) {
      const started = performance.now();
      redactAddresses(text);
      // A quadratic pattern takes tens of seconds on 128 KiB; the linear ones a few milliseconds.
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });
});
