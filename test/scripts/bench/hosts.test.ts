import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const LIB = new URL('../../../scripts/bench/lib/', import.meta.url);

describe('bench host processes', () => {
  it('no module imports a helper-process host (it starts serving when loaded: importing one runs it)', () => {
    // Hosts run as child processes (lib/helper-process.ts) and serve from their top level.
    const hosts = readdirSync(LIB)
      .filter((f) => /^serveRequests\(/m.test(readFileSync(new URL(f, LIB), 'utf8')))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(hosts).toEqual(expect.arrayContaining(['density-host', 'memory-host']));
    const dirs = [LIB, new URL('../../../scripts/bench/', import.meta.url)];
    const offenders: string[] = [];
    for (const dir of dirs) {
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
        const text = readFileSync(new URL(file, dir), 'utf8');
        // `import type` is erased at run time; only value imports load the module.
        for (const m of text.matchAll(/^import (?!type )[^;]*from '\.\/(?:lib\/)?([\w-]+)\.ts'/gm)) if (hosts.includes(m[1]!)) offenders.push(`${file} imports ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
