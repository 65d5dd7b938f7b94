/**
 * A WebSocket upgrade request written byte for byte on a TCP socket, so that a fuzzer can
 * put anything in the request target (raw unicode, stray `%`, `#`, huge values) — things a
 * WebSocket client library would encode or refuse before sending.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

export type HandshakeOutcome =
  | { kind: 'status'; status: number; headers: string; body: string; ms: number }
  /** No status line within the time limit: a hang. */
  | { kind: 'timeout'; ms: number; received: string }
  /** The connection ended (or failed) before a complete status line arrived. */
  | { kind: 'no-answer'; error: string; received: string };

/** Bytes of the body kept for checks; refusal bodies are small JSON objects. */
const MAX_BODY = 64 * 1024;

export function rawHandshake(port: number, target: Buffer, timeoutMs: number): Promise<HandshakeOutcome> {
  const started = performance.now();
  const head = Buffer.concat([
    Buffer.from('GET '),
    target,
    Buffer.from(
      ` HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ),
  ]);
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: HandshakeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A 101 leaves an open WebSocket on the server: drop it abruptly, as a lost client would.
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', ms: performance.now() - started, received: buf.toString('latin1').slice(0, 200) }), timeoutMs);
    const parse = (ended: boolean): void => {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) {
        if (ended) finish({ kind: 'no-answer', error: 'connection closed', received: buf.toString('latin1').slice(0, 200) });
        return;
      }
      const headers = buf.subarray(0, end).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(headers);
      if (!m) {
        finish({ kind: 'no-answer', error: 'not an HTTP/1.1 status line', received: headers.slice(0, 200) });
        return;
      }
      const status = Number(m[1]);
      const body = buf.subarray(end + 4);
      const length = /\r\ncontent-length: *(\d+)/i.exec(headers);
      const complete = status === 101 || ended || body.length >= MAX_BODY || (length !== null && body.length >= Number(length[1]));
      if (!complete) return;
      finish({ kind: 'status', status, headers, body: body.subarray(0, MAX_BODY).toString('utf8'), ms: performance.now() - started });
    };
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      parse(false);
    });
    socket.on('end', () => parse(true));
    socket.on('close', () => parse(true));
    socket.on('error', (err) => {
      if (buf.indexOf('\r\n\r\n') !== -1) parse(true);
      else finish({ kind: 'no-answer', error: err.message, received: buf.toString('latin1').slice(0, 200) });
    });
    socket.write(head);
  });
}
