/**
 * What can be checked of deploy/ without Docker or a Kubernetes cluster: the nginx config is
 * valid for the real nginx and routes as the tested one does, every OPENIM_JSSDK_* setting the
 * files use is a real flag with a value the server accepts, and the image is built as promised.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatewayProxyConfig } from '../../scripts/lib/nginx.ts';
import { SERVER_FLAGS } from '../../src/config/options.ts';
import { parseServerArgs } from '../../src/config/parse-args.ts';

const deploy = (path: string): string => readFileSync(new URL(`../../deploy/${path}`, import.meta.url), 'utf8');
const directives = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '');

describe('deploy/nginx/nginx.conf', () => {
  const conf = deploy('nginx/nginx.conf');

  it('is accepted by nginx -t (its upstream host names replaced by loopback: they resolve only in compose)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jssdk-nginx-t-'));
    try {
      const file = join(dir, 'nginx.conf');
      writeFileSync(file, conf.replace(/gateway-\d+:10003/g, '127.0.0.1:10003'));
      const out = execFileSync('nginx', ['-t', '-p', dir, '-c', file, '-e', join(dir, 'error.log'), '-g', `pid ${join(dir, 'nginx.pid')};`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out).toBe('');
    } catch (err) {
      const e = err as { stderr?: string };
      // nginx -t reports success on stderr too; only a failure throws.
      throw new Error(`nginx -t failed: ${e.stderr ?? String(err)}`, { cause: err });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('routes as the nginx the cluster tests run: every directive of theirs is in it', () => {
    const have = new Set(directives(conf));
    const tested = directives(gatewayProxyConfig(['gateway-1:10003', 'gateway-2:10003'], '80'));
    expect(tested.filter((d) => !have.has(d))).toEqual([]);
  });
});

describe('OPENIM_JSSDK_* settings in deploy/', () => {
  const files = ['Dockerfile', 'docker-compose.yml', 'kubernetes/gateway.yaml'];
  const known = new Set(Object.values(SERVER_FLAGS).map((f) => f.env));

  it('are all real flags', () => {
    for (const file of files) {
      const used = [...deploy(file).matchAll(/OPENIM_JSSDK_[A-Z_]+/g)].map((m) => m[0]);
      expect(used.length, file).toBeGreaterThan(0);
      expect(
        used.filter((name) => !known.has(name)),
        file,
      ).toEqual([]);
    }
  });

  it('have values the server accepts (compose: a gateway node)', () => {
    const compose = deploy('docker-compose.yml');
    const env: Record<string, string> = {};
    for (const m of compose.matchAll(/^\s+(OPENIM_JSSDK_[A-Z_]+):\s*"?([^"\n]+)"?\s*$/gm)) env[m[1]!] = m[2]!.trim();
    const image = deploy('Dockerfile');
    for (const m of image.matchAll(/(OPENIM_JSSDK_[A-Z_]+)=(\S+)/g)) env[m[1]!] ??= m[2]!;
    const parsed = parseServerArgs([], { ...env, NODE_ENV: 'production' });
    expect(parsed).toMatchObject({ ok: true, options: { redis: 'redis://redis:6379', openimApi: 'http://devserver:10002', dataDir: '/data', port: 10003 } });
  });
});

describe('deploy/Dockerfile', () => {
  const file = deploy('Dockerfile');

  it('builds in one stage and runs in another, as an unprivileged user, with /data a volume and /healthz its health check', () => {
    expect(file.match(/^FROM /gm)?.length).toBe(2);
    expect(file).toMatch(/^COPY --from=build /m);
    expect(file).toMatch(/^USER node$/m);
    expect(file).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(file).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    expect(file).toMatch(/^ENTRYPOINT \["node", "\/app\/dist\/src\/cli\.js"\]$/m);
  });
});

describe('deploy/kubernetes', () => {
  it('hashes on sendID at the ingress and names each pod after itself', () => {
    expect(deploy('kubernetes/ingress.yaml')).toContain('nginx.ingress.kubernetes.io/upstream-hash-by: "$arg_sendID"');
    const gateway = deploy('kubernetes/gateway.yaml');
    expect(gateway).toMatch(/kind: StatefulSet/);
    expect(gateway).toMatch(/clusterIP: None/);
    expect(gateway).toMatch(/name: OPENIM_JSSDK_NODE_ID\n\s+valueFrom: \{ fieldRef: \{ fieldPath: metadata\.name \} \}/);
  });
});
