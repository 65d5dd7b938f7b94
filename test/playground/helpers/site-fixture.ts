/**
 * Gateways (test core, fake IM) serving the playground, with tokens from a real dev server, for
 * the tests of the playground's HTTP side. Registers the file's hooks.
 */
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { startDevServer, type DevServer } from '../../../src/devserver/dev-server.ts';
import { createPlaygroundSite, type PlaygroundSiteOptions } from '../../../src/playground/playground-site.ts';
import type { RunningServer } from '../../../src/server.ts';
import { useGatewayFixture, type GatewayFixture } from '../../helpers/gateway.ts';

export interface SiteFixture {
  /** The dev server the tokens come from. */
  readonly dev: DevServer;
  readonly gateway: GatewayFixture['gateway'];
  /** A gateway serving a site with these options (by default: tokens from `dev`). */
  withSite(extra?: Partial<PlaygroundSiteOptions>): Promise<{ gw: RunningServer; base: string }>;
}

export const silent = pino({ level: 'silent' });

export function useSiteFixture(): SiteFixture {
  const gateways = useGatewayFixture();
  let dev: DevServer | undefined;
  beforeAll(async () => {
    dev = await startDevServer({ apiPort: 0, wsPort: 0 });
  });
  afterAll(() => dev?.close());
  const started = (): DevServer => {
    if (dev === undefined) throw new Error('the dev server starts in beforeAll');
    return dev;
  };
  return {
    get dev() {
      return started();
    },
    gateway: (extra) => gateways.gateway(extra),
    async withSite(extra = {}) {
      const d = started();
      const site = createPlaygroundSite({ apiAddr: d.apiUrl, logger: silent, issueToken: (userID) => d.userToken(userID, 5), ...extra });
      const gw = await gateways.gateway({ playgroundSite: site });
      return { gw, base: `http://127.0.0.1:${gw.port}` };
    },
  };
}

export function askToken(base: string, body: string, contentType = 'application/json'): Promise<Response> {
  return fetch(`${base}/playground/token`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
}
