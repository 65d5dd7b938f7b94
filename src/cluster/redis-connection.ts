/**
 * The node's connections to Redis: one for commands (directory, publishing) and one that only
 * listens (pub/sub takes a connection over). Both fail fast while Redis is unreachable instead
 * of queueing commands: a Login must hear "cluster unavailable" at once, not hang, and a lease
 * renewal that cannot go out must not go out late.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CLUSTER_LIMITS } from './cluster-limits.ts';
import { errorText } from '../shared/error-text.ts';

/** Where Redis is, for logs and errors: never the password. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparseable Redis URL)';
  }
}

/** `redis://` or `rediss://` (TLS) with a host; credentials and a `/db` number are allowed. */
export function parseRedisUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return undefined;
  if (url.hostname === '' || url.search !== '' || url.hash !== '') return undefined;
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/[0-9]{1,2}$/.test(url.pathname)) return undefined;
  return text;
}

export interface RedisPair {
  readonly commands: Redis;
  readonly listener: Redis;
  close(): Promise<void>;
}

/**
 * Connects both; rejects (after both are closed again) when Redis cannot be reached within the
 * start-up bound, so a wrong address stops the node with one line instead of a silent retry loop.
 */
export async function connectRedis(url: string, logger: Logger, name: string): Promise<RedisPair> {
  const where = describeRedisUrl(url);
  const make = (role: string): Redis => {
    const client = new Redis(url, {
      lazyConnect: true,
      connectionName: `openim-jssdk:${name}:${role}`,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: CLUSTER_LIMITS.commandTimeoutMs,
      connectTimeout: CLUSTER_LIMITS.connectTimeoutMs,
      // Keep trying for ever, a little slower each time up to 2 s apart.
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    // One line per change of state, not one per failed reconnect attempt.
    let reachable: boolean | undefined;
    client.on('ready', () => {
      if (reachable === false) logger.warn({ redis: where, role }, 'Redis reachable again');
      reachable = true;
    });
    client.on('error', (err: Error) => {
      if (reachable !== false) logger.error({ redis: where, role, err: err.message }, 'Redis unreachable');
      reachable = false;
    });
    return client;
  };
  const commands = make('commands');
  const listener = make('listener');
  // Returns a Promise for the RedisConnection interface, though disconnecting does not wait.
  const close = (): Promise<void> => {
    for (const client of [commands, listener]) client.disconnect(false);
    return Promise.resolve();
  };
  try {
    await Promise.all([commands.connect(), listener.connect()]);
  } catch (err) {
    await close();
    throw new Error(`cannot reach Redis at ${where}: ${errorText(err)}`, { cause: err });
  }
  // Closing does not wait for Redis: a node stopping because Redis is gone must not hang on it.
  return { commands, listener, close };
}
