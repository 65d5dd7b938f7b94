/**
 * storm: what a login storm into dense workers costs, with the cores' memories shared (as
 * the gateway runs them) against unshared (as before: docs/runtime.md#many-cores-in-one-worker).
 *
 *   npm run bench -- storm [-- --sessions 200 --workers 1 --rounds 3]
 *
 * Each round starts a fresh gateway process per side (lib/density-host.ts: official core,
 * merging off, fresh data directory) and logs N new users into it, 16 in flight, against
 * the embedded dev server in this process. The sides alternate which goes first. Reported:
 * the gateway's CPU per login (the whole gateway process, cores included) and the storm's
 * wall time, medians over the rounds, and their ratios shared ÷ unshared.
 *
 * Prints a table and a last JSON line; exits 1 when a goal is not met.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startDevServer } from '../../src/devserver/dev-server.ts';
import { scriptFlags } from '../lib/flags.ts';
import { closeHost, measureHost, startDensityHost } from './lib/density-host-client.ts';
import { finishBench } from './lib/goals.ts';
import { loginStorm } from './lib/login-storm.ts';
import { fmt, loadNow, machineLine, median, round, runBench, table } from './lib/report.ts';

const BENCH = 'storm';
const FLAGS = {
  sessions: { type: 'int', default: 200, min: 2, max: 2000, help: 'logins per storm' },
  workers: { type: 'int', default: 1, min: 1, max: 64, help: 'gateway worker threads' },
  rounds: { type: 'int', default: 3, min: 1, max: 20, help: 'storms per side' },
  'in-flight': { type: 'int', default: 16, min: 1, max: 256, help: 'logins in flight at once' },
  help: { type: 'bool', help: 'show this help' },
} as const;

const silent = pino({ level: 'silent' });

type Side = 'unshared' | 'shared';

interface Storm {
  seconds: number;
  cpuMsPerLogin: number;
}

async function main(): Promise<void> {
  const flags = scriptFlags(BENCH, FLAGS, process.argv.slice(2));
  if (typeof flags === 'number') {
    process.exitCode = flags;
    return;
  }
  const n = flags.sessions;
  console.log(`${BENCH}: ${machineLine()}`);
  const dev = await startDevServer({ apiPort: 0, wsPort: 0, logger: silent });
  const dataDir = mkdtempSync(join(tmpdir(), 'openim-jssdk-storm-'));
  const storms: Record<Side, Storm[]> = { unshared: [], shared: [] };
  try {
    const stormOnce = async (side: Side, roundNo: number): Promise<void> => {
      const host = startDensityHost(dev, {
        dataDir: join(dataDir, `${side}-${roundNo}`),
        workers: flags.workers,
        sessions: n,
        merge: false,
        coreMemoryShared: side === 'shared',
      });
      const before = await measureHost(host);
      const users = Array.from({ length: n }, (_, i) => `storm-${side}-${roundNo}-${i}`);
      const { sessions, seconds } = await loginStorm(dev, before.url, users, flags['in-flight']);
      const after = await measureHost(host);
      storms[side].push({ seconds, cpuMsPerLogin: ((after.cpuSeconds - before.cpuSeconds) * 1000) / n });
      await closeHost(host, sessions);
      console.log(`${BENCH}: round ${roundNo} ${side}: ${fmt(seconds, 1)} s, ${fmt(storms[side].at(-1)!.cpuMsPerLogin)} ms CPU per login`);
    };
    for (let r = 1; r <= flags.rounds; r++) {
      const order: Side[] = r % 2 === 1 ? ['unshared', 'shared'] : ['shared', 'unshared'];
      for (const side of order) await stormOnce(side, r);
    }
  } finally {
    await dev.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const med = (side: Side, key: keyof Storm): number => median(storms[side].map((s) => s[key]));
  console.log('');
  console.log(
    table(
      ['memories', 'storms', 'storm s (median)', 'logins/s', 'gateway CPU ms per login (median)'],
      (['unshared', 'shared'] as const).map((side) => [
        side,
        storms[side].length,
        fmt(med(side, 'seconds'), 1),
        fmt(n / med(side, 'seconds'), 1),
        fmt(med(side, 'cpuMsPerLogin')),
      ]),
    ),
  );
  const result = {
    sessions: n,
    workers: flags.workers,
    cpuMsPerLoginShared: round(med('shared', 'cpuMsPerLogin')),
    cpuMsPerLoginUnshared: round(med('unshared', 'cpuMsPerLogin')),
    cpuRatio: round(med('shared', 'cpuMsPerLogin') / med('unshared', 'cpuMsPerLogin'), 3),
    wallRatio: round(med('shared', 'seconds') / med('unshared', 'seconds'), 3),
  };
  finishBench(
    BENCH,
    [{ name: 'cpuRatio', value: result.cpuRatio, op: '<=', limit: 0.8, what: `shared ÷ unshared, ${n} logins into ${flags.workers} worker(s)`, digits: 3 }],
    [`load average ${fmt(loadNow(), 2)} at end`],
    result,
  );
}

await runBench(BENCH, main);
