/**
 * The connection-state events a session itself sends its sockets (OnConnecting,
 * OnConnectSuccess, OnConnectFailed, OnKickedOffline, Logout), and the redaction every
 * core event's error text goes through before a client sees it.
 */
import type { Logger } from 'pino';
import type { ClientEnvelope } from '../protocol/envelope.ts';
import { redactAddresses } from '../protocol/redact-addresses.ts';

export const connectionEvent = (event: string, errCode = 0, errMsg = ''): ClientEnvelope => ({
  event,
  errCode,
  errMsg,
  data: '',
  operationID: '',
});

/** OnConnectFailed carries the core's dial error, which names the IM server's address (and the token, in the URL). */
export function withoutAddresses(env: ClientEnvelope, coreEvent: string | undefined, log: Logger): ClientEnvelope {
  if (env.errMsg === '') return env;
  const errMsg = redactAddresses(env.errMsg);
  if (errMsg === env.errMsg) return env;
  log.debug({ event: coreEvent, errCode: env.errCode, detail: env.errMsg }, 'core event error (addresses redacted for clients)');
  return { ...env, errMsg };
}
