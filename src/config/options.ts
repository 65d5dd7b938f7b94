/**
 * Every server setting in one place: its type, default, and the single table that
 * drives command-line parsing, environment variables, error messages and `--help`.
 * Keeping all of that in one table means a new flag cannot be documented in one
 * place and forgotten in another.
 */
import { availableParallelism } from 'node:os';
import type { CoreBuildSpec } from '../../core-wasm/core-build.ts';
import { DEFAULT_CORE_GOGC } from '../../core-wasm/core-instance.ts';
import { MEMORY_MERGE_MODES, type MemoryMergeMode } from '../memory/memory-merge.ts';
import { AUTH_LIMITS } from '../auth/auth-limits.ts';
import { CLUSTER_LIMITS, NODE_ID_PATTERN, PREFIX_PATTERN } from '../cluster/cluster-limits.ts';
import { parseRedisUrl } from '../cluster/redis-connection.ts';
import { LOG_FORMATS, type LogFormat } from '../shared/logger.ts';
import { PLAYGROUND_MODES, type PlaygroundMode } from '../playground/playground-mode.ts';
import { NEW_MESSAGE_MODES, type NewMessageMode } from '../protocol/events.ts';

export const AUTH_MODES = ['openim', 'jwt'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerOptions {
  host: string;
  port: number;
  /** IM HTTP API base, no trailing slash (paths are appended to it). */
  openimApi: string | undefined;
  /** IM WebSocket gateway, no trailing slash (the core appends `?…`). */
  openimWs: string | undefined;
  dataDir: string;
  core: CoreBuildSpec;
  workers: number;
  coresPerWorker: number;
  coreMemoryLimitMiB: number;
  /** Go's GOGC for every core. */
  coreGcPercent: number;
  /** Kernel samepage merging for the whole process. */
  memoryMerge: MemoryMergeMode;
  /** MiB of real memory (PSS) the process may fill with cores; 0: a share of the machine's or cgroup's memory. */
  memoryBudgetMiB: number;
  /** Per userID + platformID. */
  maxConnsPerUser: number;
  gracePeriodSeconds: number;
  /** Worker heartbeat period. */
  heartbeatIntervalMs: number;
  /** A worker silent this long (a core in a busy loop) is replaced; its sessions move. */
  hangThresholdMs: number;
  newMessageEvents: NewMessageMode;
  auth: AuthMode;
  jwtSecret: string | undefined;
  /** Longest an accepted token is taken on trust before the IM is asked again (0: always ask). */
  tokenCacheTtlSeconds: number;
  adminToken: string | undefined;
  logLevel: LogLevel;
  /** `auto`: readable lines on a terminal, JSON otherwise. */
  logFormat: LogFormat;
  /** The browser playground at `/`: `auto` serves it only with the embedded dev server. */
  playground: PlaygroundMode;
  /** Several nodes: the Redis holding the session directory (none: a single node). May carry a password. */
  redis: string | undefined;
  /** This node's name in the cluster; default `<hostname>:<port>`. */
  nodeId: string | undefined;
  /** Keys and channels of this cluster in Redis start with this (several clusters can share one Redis). */
  redisPrefix: string;
  /** Milliseconds a node's lease lives without renewal: a dead node's users are free after at most this. */
  leaseTtlMs: number;
}

export const ENV_PREFIX = 'OPENIM_JSSDK_';

export type FlagType = 'string' | 'integer' | 'choice' | 'url' | 'secret';

export interface FlagSpec<T> {
  /** Long name without the leading dashes. */
  readonly flag: string;
  readonly env: string;
  readonly type: FlagType;
  /** Placeholder for the value in `--help`. */
  readonly metavar: string;
  readonly default: T;
  /** Shown in `--help` instead of the value when the default depends on the machine or is absent. */
  readonly defaultText?: string;
  /** Completes "--flag must be …"; also shown in `--help`. */
  readonly expects: string;
  readonly choices?: readonly string[];
  readonly help: string;
  /** `undefined` means the text is not acceptable. */
  readonly parse: (text: string) => Exclude<T, undefined> | undefined;
}

export type FlagTable = { readonly [K in keyof ServerOptions]: FlagSpec<ServerOptions[K]> };

export function envNameFor(flag: string): string {
  return ENV_PREFIX + flag.toUpperCase().replaceAll('-', '_');
}

const DIGITS = /^[0-9]+$/;

function integerFlag(flag: string, def: number, min: number, max: number, help: string, defaultText?: string): FlagSpec<number> {
  return {
    flag,
    env: envNameFor(flag),
    type: 'integer',
    metavar: 'N',
    default: def,
    ...(defaultText === undefined ? {} : { defaultText }),
    expects: `an integer from ${min} to ${max}`,
    help,
    parse(text) {
      // Number() alone would accept " 7", "0x10", "1e3" and "7.0".
      if (!DIGITS.test(text)) return undefined;
      const n = Number(text);
      return n >= min && n <= max ? n : undefined;
    },
  };
}

function choiceFlag<C extends string>(flag: string, choices: readonly C[], def: C, help: string): FlagSpec<C> {
  return {
    flag,
    env: envNameFor(flag),
    type: 'choice',
    metavar: choices.join('|'),
    default: def,
    expects: `one of ${choices.join(', ')}`,
    choices,
    help,
    parse: (text) => ((choices as readonly string[]).includes(text) ? (text as C) : undefined),
  };
}

function stringFlag(flag: string, metavar: string, def: string, expects: string, help: string): FlagSpec<string> {
  return {
    flag,
    env: envNameFor(flag),
    type: 'string',
    metavar,
    default: def,
    expects,
    help,
    parse: (text) => (text === '' ? undefined : text),
  };
}

/** A string flag without a default, checked against a pattern. */
function patternFlag(flag: string, metavar: string, pattern: RegExp, expects: string, defaultText: string, help: string): FlagSpec<string | undefined> {
  return {
    flag,
    env: envNameFor(flag),
    type: 'string',
    metavar,
    default: undefined,
    defaultText,
    expects,
    help,
    parse: (text) => (pattern.test(text) ? text : undefined),
  };
}

function secretFlag(flag: string, help: string): FlagSpec<string | undefined> {
  return {
    flag,
    env: envNameFor(flag),
    type: 'secret',
    metavar: 'SECRET',
    default: undefined,
    defaultText: 'none',
    expects: 'a non-empty string',
    help,
    parse: (text) => (text === '' ? undefined : text),
  };
}

function urlFlag(flag: string, article: 'a' | 'an', protocols: readonly string[], example: string, help: string): FlagSpec<string | undefined> {
  const schemes = protocols.map((p) => `${p}//`);
  return {
    flag,
    env: envNameFor(flag),
    type: 'url',
    metavar: 'URL',
    default: undefined,
    defaultText: 'none',
    expects: `${article} ${schemes.join(' or ')} URL without query, fragment or credentials, e.g. ${example}`,
    help,
    parse(text) {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        return undefined;
      }
      // Paths are appended by string concatenation (ours and the core's), so a query,
      // fragment or trailing slash would produce a wrong address rather than an error.
      if (!protocols.includes(url.protocol) || url.hostname === '') return undefined;
      // WHATWG parsing forgives "http:host" and drops an empty "?"; the raw text is what gets used.
      if (!text.toLowerCase().startsWith(`${url.protocol}//`) || text.includes('?') || text.includes('#')) return undefined;
      // fetch() refuses URLs with credentials, so accepting them would only fail later.
      if (url.username !== '' || url.password !== '') return undefined;
      return text.replace(/\/+$/, '');
    },
  };
}

const MAX_WORKERS = 256;

export const SERVER_FLAGS: FlagTable = {
  host: stringFlag('host', 'ADDR', '0.0.0.0', 'a non-empty host name or address', 'Address to listen on for client WebSocket connections.'),
  port: integerFlag('port', 10003, 0, 65535, 'TCP port to listen on (0 picks a free port).'),
  openimApi: urlFlag('openim-api', 'an', ['http:', 'https:'], 'http://openim:10002', 'OpenIM server HTTP API address (its port 10002).'),
  openimWs: urlFlag('openim-ws', 'a', ['ws:', 'wss:'], 'ws://openim:10001', 'OpenIM server WebSocket gateway address (its port 10001).'),
  dataDir: stringFlag(
    'data-dir',
    'DIR',
    './data',
    'a non-empty directory path',
    "Directory for the cores' per-user local databases, marked with the kind of IM server it serves: a real IM server's directory " +
      '(or any non-empty one without the mark) is refused to the embedded dev server, and the other way round. Without IM addresses ' +
      'and without this flag, a fresh temporary directory removed at exit.',
  ),
  core: stringFlag(
    'core',
    'official|test|PATH',
    'official',
    'official, test, or a path to a .wasm file',
    'Core build: "official" (@openim/wasm-client-sdk), "test" (bundled test core; refused when NODE_ENV=production) or a path to a Go js/wasm build.',
  ),
  workers: integerFlag('workers', Math.min(availableParallelism(), MAX_WORKERS), 1, MAX_WORKERS, 'Worker threads that run cores.', 'number of CPUs'),
  coresPerWorker: integerFlag('cores-per-worker', 50, 1, 10_000, 'Maximum cores (logged-in users) per worker thread.'),
  coreMemoryLimitMiB: integerFlag('core-memory-limit', 256, 16, 4096, 'Memory cap per core in MiB; a core exceeding it is stopped alone.'),
  coreGcPercent: integerFlag(
    'core-gogc',
    DEFAULT_CORE_GOGC,
    10,
    1000,
    "Go's GOGC for every core: lower collects more often, so a core holds fewer JS values and less memory, for more GC work.",
  ),
  memoryMerge: choiceFlag(
    'memory-merge',
    MEMORY_MERGE_MODES,
    'auto',
    "Kernel samepage merging of the cores' identical memory pages (Linux ≥ 6.4, ksmd on): auto = where the kernel allows it, on = refuse to start without it.",
  ),
  memoryBudgetMiB: integerFlag(
    'memory-budget',
    0,
    0,
    16 * 1024 * 1024,
    "MiB of memory the process may use (RSS less merged pages); a new core starts only while it fits, queueing while merging frees room (0: 75 % of the machine's or cgroup's memory).",
    '75 % of RAM/cgroup',
  ),
  maxConnsPerUser: integerFlag('max-conns-per-user', 10, 1, 1000, 'Maximum simultaneous connections per user and platform.'),
  gracePeriodSeconds: integerFlag('grace-period', 60, 0, 86_400, 'Seconds a core stays logged in after its last connection closes, so a reconnect finds it warm.'),
  heartbeatIntervalMs: integerFlag('heartbeat-interval', 250, 10, 60_000, 'Milliseconds between heartbeats to each worker thread.'),
  hangThresholdMs: integerFlag(
    'hang-threshold',
    1000,
    100,
    600_000,
    'Milliseconds without a heartbeat answer after which a worker counts as hung and is replaced (its sessions are re-created elsewhere).',
  ),
  newMessageEvents: choiceFlag(
    'new-message-events',
    NEW_MESSAGE_MODES,
    'batch',
    'How new messages reach clients: one OnRecvNewMessages per batch, one OnRecvNewMessage each, or both.',
  ),
  auth: choiceFlag(
    'auth',
    AUTH_MODES,
    'openim',
    'Token check at handshake and Login: ask the OpenIM server (/auth/parse_token), or verify the JWT locally with --jwt-secret. ' +
      'jwt cannot see tokens the IM server has kicked (1506) or no longer knows (1507): they pass until they expire.',
  ),
  jwtSecret: secretFlag('jwt-secret', "The OpenIM server's share.secret, needed by --auth jwt. Prefer the environment variable: flags are visible in ps."),
  tokenCacheTtlSeconds: integerFlag(
    'token-cache-ttl',
    AUTH_LIMITS.tokenCacheTtlSeconds,
    0,
    3600,
    'Seconds a token the IM server accepted is taken on trust before it is checked again (never past its expiry; 0: check every socket). ' +
      'Verdicts are dropped at once on Logout, admin kick and kicked/expired events.',
  ),
  adminToken: secretFlag('admin-token', "Bearer token for this server's admin HTTP API (/admin/...); the API is off without it. Prefer the environment variable."),
  logLevel: choiceFlag('log-level', LOG_LEVELS, 'info', 'Log verbosity.'),
  logFormat: choiceFlag(
    'log-format',
    LOG_FORMATS,
    'auto',
    'Log lines as JSON (one object per line) or pretty (readable, for a terminal); auto = pretty when stdout is a terminal, JSON otherwise.',
  ),
  playground: choiceFlag(
    'playground',
    PLAYGROUND_MODES,
    'auto',
    'The browser playground (a small chat page using open-im-sdk) at http://<host>:<port>/: auto = only with the embedded dev server ' +
      '(pick a name, it registers you); on = also against a real IM server (sign in with a userID and token); off = never.',
  ),
  redis: {
    flag: 'redis',
    env: envNameFor('redis'),
    // A secret: the URL may carry the Redis password, so a bad value is not echoed.
    type: 'secret',
    metavar: 'URL',
    default: undefined,
    defaultText: 'none (a single node)',
    expects: 'a redis:// or rediss:// URL with a host, e.g. redis://redis:6379 or rediss://:password@redis:6380/0',
    help:
      "Join a cluster of nodes sharing this Redis: a session directory (which node holds each user+platform's core, with leases and fences) " +
      'and messages between nodes (hand-overs, cluster-wide admin, token revocations). Prefer the environment variable when it carries a password.',
    parse: parseRedisUrl,
  },
  nodeId: patternFlag(
    'node-id',
    'ID',
    NODE_ID_PATTERN,
    `1 to ${CLUSTER_LIMITS.nodeIdChars} letters, digits or ._:-`,
    '<hostname>:<port>',
    'Name of this node in the cluster (with --redis); must be unique among live nodes and stable across restarts.',
  ),
  redisPrefix: {
    ...patternFlag('redis-prefix', 'PREFIX', PREFIX_PATTERN, `1 to ${CLUSTER_LIMITS.prefixChars} letters, digits or ._:-`, 'openim-jssdk', ''),
    default: 'openim-jssdk',
    help: "Prefix of this cluster's keys and channels in Redis (with --redis), so that several clusters can share one Redis.",
    parse: (text) => (PREFIX_PATTERN.test(text) ? text : undefined),
  },
  leaseTtlMs: integerFlag(
    'lease-ttl',
    CLUSTER_LIMITS.leaseTtlMs,
    CLUSTER_LIMITS.leaseTtlMinMs,
    CLUSTER_LIMITS.leaseTtlMaxMs,
    "Milliseconds a node's cluster lease lives without renewal (with --redis): a node that dies frees its users after at most this; " +
      'a node that cannot renew gives its users back after 70 % of it.',
  ),
};

export const HELP_FLAG = { flag: 'help', short: 'h', help: 'Print this help and exit.' } as const;

export function defaultServerOptions(): ServerOptions {
  // Filled key by key below: every key of the table is a key of ServerOptions, with its type.
  const options = {} as ServerOptions;
  for (const key of Object.keys(SERVER_FLAGS) as Array<keyof ServerOptions>) setDefault(options, key);
  return options;
}

function setDefault<K extends keyof ServerOptions>(options: ServerOptions, key: K): void {
  options[key] = SERVER_FLAGS[key].default;
}
