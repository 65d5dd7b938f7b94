/**
 * The official core at its most verbose logs its IM WebSocket URL and request details, which
 * carry the user's token: none of it may reach the server's log.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/dev-server.ts';
import { CliGateway } from '../helpers/cli-process.ts';
import { TestClient } from '../helpers/gateway.ts';
import { silentLogger } from '../helpers/cores.ts';

let dev: DevServer;
let gw: CliGateway;
beforeAll(async () => {
  dev = await startDevServer({ apiPort: 0, wsPort: 0, logger: silentLogger });
  gw = await CliGateway.start(['--workers', '1', '--openim-api', dev.apiUrl, '--openim-ws', dev.wsUrl, '--log-level', 'trace'], {}, 50 * 2 ** 20);
}, 90_000);
afterAll(async () => {
  await gw?.stop();
  await dev?.close();
});

it('a login and a message at trace level leave no token in the log', async () => {
  const token = await dev.userToken('tara');
  await dev.userToken('tom');
  const c = await TestClient.connect(gw, 'tara', 5, token);
  expect((await c.login('tara', token)).errCode).toBe(0);
  const msg = await c.request('CreateTextMessage', ['hi tom']);
  expect((await c.request('SendMessage', [msg.data, 'tom', '', '{}', false])).errCode).toBe(0);
  await c.event('OnConnectSuccess');
  c.close();
  // The log is large and the core did talk (its lines are there); the token is not.
  expect(gw.log).toMatch(/"stream":"stdout"/);
  const [, , signature] = token.split('.');
  expect(gw.log).not.toContain(signature);
}, 60_000);
