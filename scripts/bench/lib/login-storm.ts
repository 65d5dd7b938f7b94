/**
 * A login storm as after a restart: every user reconnects at once, with at most `inFlight`
 * handshakes and Logins under way (the density and storm benches).
 */
import { performance } from 'node:perf_hooks';
import type { DevServer } from '../../../src/devserver/dev-server.ts';
import { GwClient } from './gw-client.ts';

export const STORM_PLATFORM_ID = 5;

export interface StormSession {
  client: GwClient;
  token: string;
}

/** Logs `users` in with at most `inFlight` logins under way; resolves with the sessions and the seconds it took. */
export async function loginStorm(dev: DevServer, url: string, users: readonly string[], inFlight: number): Promise<{ sessions: StormSession[]; seconds: number }> {
  const tokens = await Promise.all(users.map((u) => dev.userToken(u, STORM_PLATFORM_ID)));
  const sessions = new Array<StormSession>(users.length);
  let next = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    for (let i = next++; i < users.length; i = next++) {
      const client = await GwClient.connect(url, users[i]!, tokens[i]!, STORM_PLATFORM_ID);
      await client.login(tokens[i]!);
      sessions[i] = { client, token: tokens[i]! };
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { sessions, seconds: (performance.now() - t0) / 1000 };
}
