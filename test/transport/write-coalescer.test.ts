import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COALESCE_LIMIT_BYTES, coalesceWrites } from '../../src/transport/write-coalescer.ts';

/** A transport that records each syscall-like write it is asked to do. */
function recordingTransport(): { transport: Writable; writes: string[][] } {
  const writes: string[][] = [];
  const transport = new Writable({
    writev(chunks, done) {
      writes.push(chunks.map((c) => String(c.chunk)));
      done();
    },
    write(chunk: Buffer, _enc, done) {
      writes.push([String(chunk)]);
      done();
    },
  });
  return { transport, writes };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function send(transport: Writable, text: string): void {
  transport.write(text);
  coalesceWrites(transport);
}

describe('write coalescer', () => {
  it('sends the first frame of a turn at once and the rest of the turn in one write, in order', async () => {
    const { transport, writes } = recordingTransport();
    send(transport, 'a');
    expect(writes).toEqual([['a']]);
    send(transport, 'b');
    send(transport, 'c');
    send(transport, 'd');
    expect(writes).toEqual([['a']]);
    await turn();
    expect(writes).toEqual([['a'], ['b', 'c', 'd']]);
    // A new turn starts over: its first frame is not held back.
    send(transport, 'e');
    expect(writes).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
    await turn();
  });

  it('keeps transports apart', async () => {
    const one = recordingTransport();
    const two = recordingTransport();
    send(one.transport, '1a');
    send(two.transport, '2a');
    send(one.transport, '1b');
    send(two.transport, '2b');
    await turn();
    expect(one.writes).toEqual([['1a'], ['1b']]);
    expect(two.writes).toEqual([['2a'], ['2b']]);
  });

  it('writes a large backlog at once instead of holding it for the turn', async () => {
    const { transport, writes } = recordingTransport();
    send(transport, 'first');
    const big = 'x'.repeat(COALESCE_LIMIT_BYTES);
    send(transport, 'small');
    expect(writes).toHaveLength(1);
    send(transport, big);
    expect(writes).toEqual([['first'], ['small', big]]);
    await turn();
    expect(writes).toHaveLength(2);
  });

  it('ignores a destroyed transport and still flushes the others', async () => {
    const gone = recordingTransport();
    const live = recordingTransport();
    send(gone.transport, 'a');
    send(live.transport, 'a');
    send(live.transport, 'b');
    gone.transport.destroy();
    expect(() => coalesceWrites(gone.transport)).not.toThrow();
    await turn();
    expect(live.writes).toEqual([['a'], ['b']]);
  });
});
