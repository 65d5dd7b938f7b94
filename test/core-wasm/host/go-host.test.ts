import { describe, expect, it } from 'vitest';
import { GoHost, type GoExitCause } from '../../../core-wasm/host/go-host.ts';
import { createCoreScope } from '../../../core-wasm/host/core-scope.ts';
import { coreBuild, sleep } from '../../helpers/cores.ts';

async function startHost(): Promise<{ host: GoHost; scope: Record<string, unknown>; exits: GoExitCause[]; out: string[] }> {
  const build = await coreBuild('test');
  const out: string[] = [];
  const exits: GoExitCause[] = [];
  const { scope } = createCoreScope({ output: (_fd, text) => out.push(text) });
  const host = new GoHost({
    scope,
    write: (_fd, bytes) => out.push(new TextDecoder().decode(bytes)),
    onExit: (cause) => exits.push(cause),
  });
  await host.start(build.module, build.identity.goAbi);
  return { host, scope, exits, out };
}

describe('GoHost', () => {
  it('runs a Go 1.19 program (import module "go") and registers its functions on its scope', async () => {
    const { host, scope, out } = await startHost();
    expect(typeof scope.getLoginStatus).toBe('function');
    expect(out.join('')).toContain('openim-jssdk-server test core v1.0.0');
    expect(host.exited).toBe(false);
    host.dispose();
  });

  it('turns a resume after exit into a no-op instead of a thrown error', async () => {
    const { host, scope, exits } = await startHost();
    const echo = scope.debugEcho as (...a: unknown[]) => unknown;
    void (scope.debugPanic as (op: string) => unknown)('op');
    await sleep(30);
    expect(exits).toEqual([{ kind: 'exit', code: 2 }]);
    expect(host.pendingTimers).toBe(0);
    // A callback still holding a Go function (a socket event, a timer) fires late.
    expect(() => echo('op', 'late')).not.toThrow();
    expect(echo('op', 'late')).toBeUndefined();
    expect(exits).toHaveLength(1);
  });

  it('reports dispose once, and nothing after it', async () => {
    const { host, exits } = await startHost();
    host.dispose();
    host.dispose();
    expect(exits).toEqual([{ kind: 'disposed' }]);
    expect(host.memoryBytes).toBe(0);
  });
});
