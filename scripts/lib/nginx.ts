/**
 * A real nginx (the Debian package) in front of gateway nodes, on a free loopback port, with
 * its files in a fresh temporary directory: the routing `deploy/nginx/nginx.conf` describes
 * (hash on `sendID`, consistent; the next node when one refuses or is gone), so the cluster
 * tests and the hand-over bench exercise the same rules operators deploy. `setUpstreams`
 * rewrites the node list and reloads (SIGHUP) as an operator adding or removing a node would.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onFreePort, ServiceProcess, tempDir } from './local-service.ts';
import { sleep } from './timing.ts';

/**
 * The `http {}` part that matters, shared with deploy/nginx/nginx.conf (a test checks the two
 * agree): one upstream hashed on the handshake's `sendID`, WebSocket upgrade, and the next
 * node on a refused connection or a 503 (a draining node, or one cut off from Redis).
 */
export function gatewayProxyConfig(upstreams: readonly string[], listen: string): string {
  return `
    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }

    upstream openim_jssdk {
        # Every socket of one user reaches the same node; adding or removing a node moves
        # only the users whose place on the ring changes (the gateway hands them over).
        hash $arg_sendID consistent;
${upstreams.map((u) => `        server ${u} max_fails=1 fail_timeout=10s;`).join('\n')}
    }

    server {
        listen ${listen};

        location / {
            proxy_pass http://openim_jssdk;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # A node that is gone, draining (503) or cut off from Redis (503): try the next.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 2s;
            # Above the gateway's 25 s ping interval.
            proxy_read_timeout 120s;
            proxy_send_timeout 120s;
        }
    }
`;
}

function fullConfig(dir: string, port: number, upstreams: readonly string[]): string {
  return `
worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} notice;

events {
    worker_connections 4096;
}

http {
    access_log off;
    client_body_temp_path ${join(dir, 'client_body')};
    proxy_temp_path ${join(dir, 'proxy')};
    fastcgi_temp_path ${join(dir, 'fastcgi')};
    uwsgi_temp_path ${join(dir, 'uwsgi')};
    scgi_temp_path ${join(dir, 'scgi')};
${gatewayProxyConfig(upstreams, `127.0.0.1:${port}`)}
}
`;
}

export class LocalNginx {
  readonly port: number;
  /** `ws://127.0.0.1:<port>`: the address clients use. */
  readonly url: string;
  readonly #process: ServiceProcess;
  readonly #dir: { dir: string; remove(): void };

  private constructor(port: number, process: ServiceProcess, dir: { dir: string; remove(): void }) {
    this.port = port;
    this.url = `ws://127.0.0.1:${port}`;
    this.#process = process;
    this.#dir = dir;
  }

  get #conf(): string {
    return join(this.#dir.dir, 'nginx.conf');
  }

  /** `upstreams`: `host:port` of each gateway node. */
  static async start(upstreams: readonly string[]): Promise<LocalNginx> {
    const dir = tempDir('jssdk-nginx');
    try {
      return await onFreePort(async (port) => {
        const conf = join(dir.dir, 'nginx.conf');
        writeFileSync(conf, fullConfig(dir.dir, port, upstreams));
        const process = new ServiceProcess(`nginx :${port}`, 'nginx', ['-p', dir.dir, '-c', conf, '-e', join(dir.dir, 'error.log')]);
        const nginx = new LocalNginx(port, process, dir);
        try {
          await nginx.#waitListening();
        } catch (err) {
          await process.stop();
          throw err;
        }
        return nginx;
      });
    } catch (err) {
      dir.remove();
      throw err;
    }
  }

  async #waitListening(): Promise<void> {
    const deadline = performance.now() + 10_000;
    for (;;) {
      if (!this.#process.alive) throw new Error(`nginx exited: ${this.#process.output.slice(-1500)}`);
      try {
        await fetch(`http://127.0.0.1:${this.port}/healthz`, { signal: AbortSignal.timeout(1000) });
        return;
      } catch {
        if (performance.now() > deadline) throw new Error(`nginx not listening on ${this.port}: ${this.#process.output.slice(-1500)}`);
        await sleep(50);
      }
    }
  }

  /**
   * Rewrites the node list and reloads: new connections follow it once this resolves (the new
   * worker has started and the old one has closed its listening socket); open ones stay where
   * they are, on the old worker.
   */
  async setUpstreams(upstreams: readonly string[]): Promise<void> {
    const log = join(this.#dir.dir, 'error.log');
    const from = statSync(log).size;
    writeFileSync(this.#conf, fullConfig(this.#dir.dir, this.port, upstreams));
    this.#process.child.kill('SIGHUP');
    const deadline = performance.now() + 10_000;
    for (;;) {
      const since = readFileSync(log).subarray(from).toString();
      // New worker up, and the old one no longer takes connections (it keeps the open ones).
      if (/reconfiguring[\s\S]*start worker process/.test(since) && /gracefully shutting down/.test(since)) return;
      if (/\[emerg\]/.test(since)) throw new Error(`nginx refused the new configuration: ${since.slice(-1500)}`);
      if (!this.#process.alive || performance.now() > deadline) throw new Error(`nginx did not reload: ${since.slice(-1500)}`);
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    // SIGQUIT would wait for every open WebSocket; SIGTERM closes them.
    await this.#process.stop();
    this.#dir.remove();
  }
}
