/**
 * The playground's HTTP side through a real gateway: when it is served, what it serves (the
 * page, the SDK's own file, its settings), and nothing else.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { playgroundSiteFor, sdkBrowserBuild } from '../../src/playground/playground-site.ts';
import { playgroundEnabled } from '../../src/playground/playground-mode.ts';
import { askToken, silent, useSiteFixture } from './helpers/site-fixture.ts';

const fixture = useSiteFixture();

/** A raw request, so that the path reaches the server exactly as written. */
function rawGet(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('playground mode', () => {
  it('auto serves the page only with the embedded dev server; on and off say it outright', () => {
    expect(playgroundEnabled('auto', true)).toBe(true);
    expect(playgroundEnabled('auto', false)).toBe(false);
    expect(playgroundEnabled('on', false)).toBe(true);
    expect(playgroundEnabled('off', true)).toBe(false);
    expect(playgroundSiteFor('auto', { devServer: undefined, openimApi: 'http://im:10002', logger: silent })).toBeUndefined();
    expect(playgroundSiteFor('off', { devServer: fixture.dev, openimApi: fixture.dev.apiUrl, logger: silent })).toBeUndefined();
  });

  it('without a playground the gateway has no page at /', async () => {
    const gw = await fixture.gateway();
    const res = await fetch(`http://127.0.0.1:${gw.port}/`);
    expect(res.status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${gw.port}/playground/config`)).status).toBe(404);
  });
});

describe('playground files', () => {
  it('serves the page with a policy that keeps it to its own scripts, this gateway and the IM API', async () => {
    const { base } = await fixture.withSite();
    const res = await fetch(`${base}/?user=alice`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ${fixture.dev.apiUrl}`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('<script type="module" src="/playground/app.js"></script>');
    for (const path of ['/playground/app.js', '/playground/view.js', '/playground/style.css']) expect((await fetch(base + path)).status, path).toBe(200);
  });

  it('serves the SDK from the installed open-im-sdk 3.5.2 package, byte for byte', async () => {
    const { base } = await fixture.withSite();
    const file = sdkBrowserBuild();
    expect(file).toMatch(/node_modules\/open-im-sdk\/lib\/index\.es\.js$/);
    const pkg = JSON.parse(readFileSync(new URL('../../node_modules/open-im-sdk/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(pkg.version).toBe('3.5.2');
    const res = await fetch(`${base}/playground/open-im-sdk.js`);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(file))).toBe(true);
  });

  it('serves nothing else: no directory, no other file, no way up', async () => {
    const { gw, base } = await fixture.withSite();
    for (const path of ['/index.html', '/playground/', '/playground/page/app.js', '/playground/%2e%2e/playground-site.ts', '/playground/../../package.json']) {
      expect(await rawGet(gw.port, path), path).toBe(404);
    }
    const post = await fetch(`${base}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('tells the page how to get a token: from the dev server, or typed in with a real IM server', async () => {
    const { base } = await fixture.withSite();
    expect(await (await fetch(`${base}/playground/config`)).json()).toEqual({ tokens: 'dev-server', apiAddr: fixture.dev.apiUrl, platformID: 5 });
    const manual = await fixture.withSite({ issueToken: undefined, apiAddr: 'http://im.example:10002' });
    expect(await (await fetch(`${manual.base}/playground/config`)).json()).toEqual({ tokens: 'manual', apiAddr: 'http://im.example:10002', platformID: 5 });
    const refused = await askToken(manual.base, '{"userID":"alice"}');
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: string }).error).toMatch(/real IM server; sign in with a userID and a token/);
  });
});
