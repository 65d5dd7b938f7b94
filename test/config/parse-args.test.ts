import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { helpText, parseServerArgs, type ParseServerArgsResult } from '../../src/config/parse-args.ts';
import { SERVER_FLAGS, type ServerOptions } from '../../src/config/options.ts';

function options(result: ParseServerArgsResult): ServerOptions {
  if (!('ok' in result) || !result.ok) throw new Error(`expected options, got ${JSON.stringify(result)}`);
  return result.options;
}

function errorOf(result: ParseServerArgsResult): string {
  if (!('ok' in result) || result.ok) throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  expect(result.exitCode).toBe(2);
  expect(result.message).not.toContain('\n');
  return result.message;
}

describe('parseServerArgs defaults', () => {
  it('gives every documented default with no flags and no environment', () => {
    expect(options(parseServerArgs([], {}))).toEqual({
      host: '0.0.0.0',
      port: 10003,
      openimApi: undefined,
      openimWs: undefined,
      dataDir: './data',
      core: 'official',
      workers: Math.min(availableParallelism(), 256),
      coresPerWorker: 50,
      coreMemoryLimitMiB: 256,
      coreGcPercent: 50,
      memoryMerge: 'auto',
      memoryBudgetMiB: 0,
      maxConnsPerUser: 10,
      gracePeriodSeconds: 60,
      heartbeatIntervalMs: 250,
      hangThresholdMs: 1000,
      newMessageEvents: 'batch',
      auth: 'openim',
      jwtSecret: undefined,
      tokenCacheTtlSeconds: 60,
      adminToken: undefined,
      logLevel: 'info',
      logFormat: 'auto',
      playground: 'auto',
      redis: undefined,
      nodeId: undefined,
      redisPrefix: 'openim-jssdk',
      leaseTtlMs: 5000,
    } satisfies ServerOptions);
  });

  it('ignores environment variables of other programs', () => {
    expect(options(parseServerArgs([], { PORT: '1', WORKERS: 'x' })).port).toBe(10003);
  });
});

describe('parseServerArgs values', () => {
  it('reads every flag from the command line', () => {
    const o = options(
      parseServerArgs(
        [
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--openim-api',
          'https://im.example:10002/api/',
          '--openim-ws',
          'wss://im.example:10001',
          '--data-dir',
          '/var/lib/x',
          '--core',
          'test',
          '--workers',
          '3',
          '--cores-per-worker',
          '7',
          '--core-memory-limit',
          '16',
          '--core-gogc',
          '10',
          '--memory-merge',
          'off',
          '--memory-budget',
          '512',
          '--max-conns-per-user',
          '2',
          '--grace-period',
          '0',
          '--heartbeat-interval',
          '100',
          '--hang-threshold',
          '500',
          '--new-message-events',
          'both',
          '--auth',
          'jwt',
          '--jwt-secret',
          'openIM123',
          '--token-cache-ttl',
          '0',
          '--admin-token',
          'tok',
          '--log-level',
          'silent',
          '--log-format',
          'pretty',
          '--playground',
          'on',
          '--redis',
          'redis://:pw@redis.example:6380/2',
          '--node-id',
          'gw-0.gw:10003',
          '--redis-prefix',
          'chat-eu',
          '--lease-ttl',
          '1000',
        ],
        {},
      ),
    );
    expect(o).toEqual({
      host: '127.0.0.1',
      port: 0,
      // The trailing slash is dropped because paths get appended to it.
      openimApi: 'https://im.example:10002/api',
      openimWs: 'wss://im.example:10001',
      dataDir: '/var/lib/x',
      core: 'test',
      workers: 3,
      coresPerWorker: 7,
      coreMemoryLimitMiB: 16,
      coreGcPercent: 10,
      memoryMerge: 'off',
      memoryBudgetMiB: 512,
      maxConnsPerUser: 2,
      gracePeriodSeconds: 0,
      heartbeatIntervalMs: 100,
      hangThresholdMs: 500,
      newMessageEvents: 'both',
      auth: 'jwt',
      jwtSecret: 'openIM123',
      tokenCacheTtlSeconds: 0,
      adminToken: 'tok',
      logLevel: 'silent',
      logFormat: 'pretty',
      playground: 'on',
      redis: 'redis://:pw@redis.example:6380/2',
      nodeId: 'gw-0.gw:10003',
      redisPrefix: 'chat-eu',
      leaseTtlMs: 1000,
    } satisfies ServerOptions);
  });

  it('refuses a hang threshold not longer than the heartbeat interval', () => {
    const r = parseServerArgs(['--heartbeat-interval', '500', '--hang-threshold', '500'], {});
    expect(r).toEqual({ ok: false, exitCode: 2, message: '--hang-threshold (500) must be longer than --heartbeat-interval (500)' });
  });

  it('accepts --flag=value', () => {
    expect(options(parseServerArgs(['--port=8080', '--core=/x/core.wasm'], {}))).toMatchObject({ port: 8080, core: '/x/core.wasm' });
  });

  it('reads every flag from OPENIM_JSSDK_* variables', () => {
    const env = {
      OPENIM_JSSDK_HOST: '::1',
      OPENIM_JSSDK_PORT: '1234',
      OPENIM_JSSDK_OPENIM_API: 'http://openim:10002',
      OPENIM_JSSDK_OPENIM_WS: 'ws://openim:10001',
      OPENIM_JSSDK_DATA_DIR: 'd',
      OPENIM_JSSDK_CORE: 'official',
      OPENIM_JSSDK_WORKERS: '256',
      OPENIM_JSSDK_CORES_PER_WORKER: '10000',
      OPENIM_JSSDK_CORE_MEMORY_LIMIT: '4096',
      OPENIM_JSSDK_CORE_GOGC: '1000',
      OPENIM_JSSDK_MEMORY_MERGE: 'on',
      OPENIM_JSSDK_MEMORY_BUDGET: '20480',
      OPENIM_JSSDK_MAX_CONNS_PER_USER: '1000',
      OPENIM_JSSDK_GRACE_PERIOD: '86400',
      OPENIM_JSSDK_HEARTBEAT_INTERVAL: '1000',
      OPENIM_JSSDK_HANG_THRESHOLD: '600000',
      OPENIM_JSSDK_NEW_MESSAGE_EVENTS: 'single',
      OPENIM_JSSDK_AUTH: 'jwt',
      OPENIM_JSSDK_JWT_SECRET: 's',
      OPENIM_JSSDK_TOKEN_CACHE_TTL: '3600',
      OPENIM_JSSDK_ADMIN_TOKEN: 'a',
      OPENIM_JSSDK_LOG_LEVEL: 'trace',
      OPENIM_JSSDK_LOG_FORMAT: 'json',
      OPENIM_JSSDK_PLAYGROUND: 'off',
      OPENIM_JSSDK_REDIS: 'rediss://redis:6379',
      OPENIM_JSSDK_NODE_ID: 'n1',
      OPENIM_JSSDK_REDIS_PREFIX: 'p',
      OPENIM_JSSDK_LEASE_TTL: '60000',
    };
    expect(options(parseServerArgs([], env))).toEqual({
      host: '::1',
      port: 1234,
      openimApi: 'http://openim:10002',
      openimWs: 'ws://openim:10001',
      dataDir: 'd',
      core: 'official',
      workers: 256,
      coresPerWorker: 10000,
      coreMemoryLimitMiB: 4096,
      coreGcPercent: 1000,
      memoryMerge: 'on',
      memoryBudgetMiB: 20480,
      maxConnsPerUser: 1000,
      gracePeriodSeconds: 86400,
      heartbeatIntervalMs: 1000,
      hangThresholdMs: 600000,
      newMessageEvents: 'single',
      auth: 'jwt',
      jwtSecret: 's',
      tokenCacheTtlSeconds: 3600,
      adminToken: 'a',
      logLevel: 'trace',
      logFormat: 'json',
      playground: 'off',
      redis: 'rediss://redis:6379',
      nodeId: 'n1',
      redisPrefix: 'p',
      leaseTtlMs: 60000,
    } satisfies ServerOptions);
  });

  it('lists an env var for every flag, named after the flag', () => {
    for (const spec of Object.values(SERVER_FLAGS)) {
      expect(spec.env).toBe(`OPENIM_JSSDK_${spec.flag.toUpperCase().replaceAll('-', '_')}`);
    }
  });

  it('lets the command line win over the environment', () => {
    const o = options(parseServerArgs(['--workers', '2', '--log-level', 'warn'], { OPENIM_JSSDK_WORKERS: '9', OPENIM_JSSDK_LOG_LEVEL: 'debug' }));
    expect(o.workers).toBe(2);
    expect(o.logLevel).toBe('warn');
  });

  it('does not even look at an environment value the command line overrides', () => {
    expect(options(parseServerArgs(['--workers', '2'], { OPENIM_JSSDK_WORKERS: 'garbage' })).workers).toBe(2);
  });

  it('treats an empty environment variable as unset', () => {
    expect(options(parseServerArgs([], { OPENIM_JSSDK_PORT: '' })).port).toBe(10003);
  });

  it('uses the last of a repeated flag', () => {
    expect(options(parseServerArgs(['--port', '1', '--port', '2'], {})).port).toBe(2);
  });

  it('takes --auth jwt with the secret from the environment', () => {
    expect(options(parseServerArgs(['--auth', 'jwt'], { OPENIM_JSSDK_JWT_SECRET: 'openIM123' })).jwtSecret).toBe('openIM123');
  });
});

describe('parseServerArgs bad values', () => {
  const cases: [string[], string][] = [
    [['--host', ''], '--host must be a non-empty host name or address (got "")'],
    [['--port', '65536'], '--port must be an integer from 0 to 65535 (got "65536")'],
    [['--port', '80.5'], '--port must be an integer from 0 to 65535 (got "80.5")'],
    [['--port', '0x50'], '--port must be an integer from 0 to 65535 (got "0x50")'],
    [
      ['--openim-api', 'ws://openim:10002'],
      '--openim-api must be an http:// or https:// URL without query, fragment or credentials, e.g. http://openim:10002 (got "ws://openim:10002")',
    ],
    [['--openim-api', 'openim:10002'], '--openim-api must be an http:// or https:// URL'],
    [['--openim-api', 'http://openim:10002/?x=1'], '--openim-api must be an http:// or https:// URL'],
    [['--openim-api', 'http://u:p@openim:10002'], '--openim-api must be an http:// or https:// URL'],
    [['--openim-api', 'http:openim'], '--openim-api must be an http:// or https:// URL'],
    [
      ['--openim-ws', 'http://openim:10001'],
      '--openim-ws must be a ws:// or wss:// URL without query, fragment or credentials, e.g. ws://openim:10001 (got "http://openim:10001")',
    ],
    [['--openim-ws', 'ws://openim:10001#x'], '--openim-ws must be a ws:// or wss:// URL'],
    [['--data-dir', ''], '--data-dir must be a non-empty directory path (got "")'],
    [['--core', ''], '--core must be official, test, or a path to a .wasm file (got "")'],
    [['--workers', 'abc'], '--workers must be an integer from 1 to 256 (got "abc")'],
    [['--workers', '0'], '--workers must be an integer from 1 to 256 (got "0")'],
    [['--workers', '257'], '--workers must be an integer from 1 to 256 (got "257")'],
    [['--cores-per-worker', '0'], '--cores-per-worker must be an integer from 1 to 10000 (got "0")'],
    [['--core-memory-limit', '15'], '--core-memory-limit must be an integer from 16 to 4096 (got "15")'],
    [['--core-memory-limit', '4097'], '--core-memory-limit must be an integer from 16 to 4096 (got "4097")'],
    [['--core-gogc', '9'], '--core-gogc must be an integer from 10 to 1000 (got "9")'],
    [['--core-gogc', 'off'], '--core-gogc must be an integer from 10 to 1000 (got "off")'],
    [['--max-conns-per-user', '0'], '--max-conns-per-user must be an integer from 1 to 1000 (got "0")'],
    [['--grace-period', '1.5'], '--grace-period must be an integer from 0 to 86400 (got "1.5")'],
    [['--grace-period', '-1'], '--grace-period must be an integer from 0 to 86400 (got "-1")'],
    [['--new-message-events', 'all'], '--new-message-events must be one of batch, single, both (got "all")'],
    [['--auth', 'none'], '--auth must be one of openim, jwt (got "none")'],
    [['--token-cache-ttl', '3601'], '--token-cache-ttl must be an integer from 0 to 3600 (got "3601")'],
    [['--token-cache-ttl', '-1'], '--token-cache-ttl must be an integer from 0 to 3600 (got "-1")'],
    [['--token-cache-ttl', '1.5'], '--token-cache-ttl must be an integer from 0 to 3600 (got "1.5")'],
    [['--log-level', 'verbose'], '--log-level must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")'],
    [['--node-id', 'a b'], '--node-id must be 1 to 128 letters, digits or ._:- (got "a b")'],
    [['--node-id', 'x'.repeat(129)], '--node-id must be 1 to 128 letters, digits or ._:-'],
    [['--redis-prefix', 'a}b'], '--redis-prefix must be 1 to 64 letters, digits or ._:- (got "a}b")'],
    [['--lease-ttl', '999'], '--lease-ttl must be an integer from 1000 to 60000 (got "999")'],
    [['--lease-ttl', '60001'], '--lease-ttl must be an integer from 1000 to 60000 (got "60001")'],
  ];
  it.each(cases)('%j → %s', (argv, expected) => {
    expect(errorOf(parseServerArgs(argv, {}))).toContain(expected);
  });

  it('does not echo a bad secret', () => {
    expect(errorOf(parseServerArgs(['--jwt-secret='], {}))).toBe('--jwt-secret must be a non-empty string');
    expect(errorOf(parseServerArgs(['--admin-token='], {}))).toBe('--admin-token must be a non-empty string');
  });

  it('refuses a --redis that is not a redis:// or rediss:// URL with a host, without echoing it (it may carry a password)', () => {
    const expected = '--redis must be a redis:// or rediss:// URL with a host, e.g. redis://redis:6379 or rediss://:password@redis:6380/0';
    for (const bad of ['http://redis:6379', 'redis:6379', 'redis://', 'redis://:secret@redis:6379/x', 'redis://redis:6379/?db=1', 'redis://redis:6379/#x']) {
      expect(errorOf(parseServerArgs(['--redis', bad], {})), bad).toBe(expected);
    }
    expect(errorOf(parseServerArgs([], { OPENIM_JSSDK_REDIS: 'redis://:secret@' }))).not.toContain('secret');
    expect(options(parseServerArgs(['--redis', 'redis://redis'], {})).redis).toBe('redis://redis');
    expect(options(parseServerArgs(['--redis', 'rediss://user:pw@redis:6380/15'], {})).redis).toBe('rediss://user:pw@redis:6380/15');
  });

  it('names the environment variable when the bad value came from there', () => {
    expect(errorOf(parseServerArgs([], { OPENIM_JSSDK_CORES_PER_WORKER: 'lots' }))).toBe(
      'OPENIM_JSSDK_CORES_PER_WORKER (--cores-per-worker) must be an integer from 1 to 10000 (got "lots")',
    );
  });

  it('requires --jwt-secret with --auth jwt', () => {
    expect(errorOf(parseServerArgs(['--auth', 'jwt'], {}))).toBe('--auth jwt needs --jwt-secret (or OPENIM_JSSDK_JWT_SECRET)');
  });

  it('refuses --core test when NODE_ENV=production (its Debug* functions let any client hang or crash a core)', () => {
    expect(errorOf(parseServerArgs(['--core', 'test'], { NODE_ENV: 'production' }))).toBe(
      '--core test is refused when NODE_ENV=production: its Debug* functions let any client hang or crash a core',
    );
    expect(errorOf(parseServerArgs([], { NODE_ENV: 'production', OPENIM_JSSDK_CORE: 'test' }))).toContain('--core test is refused');
    expect(options(parseServerArgs(['--core', 'test'], { NODE_ENV: 'development' })).core).toBe('test');
    expect(options(parseServerArgs([], { NODE_ENV: 'production' })).core).toBe('official');
  });

  it('requires --openim-ws with --openim-api and the other way round', () => {
    expect(errorOf(parseServerArgs(['--openim-api', 'http://openim:10002'], {}))).toBe('--openim-ws (or OPENIM_JSSDK_OPENIM_WS) is required when --openim-api is given');
    expect(errorOf(parseServerArgs([], { OPENIM_JSSDK_OPENIM_WS: 'ws://openim:10001' }))).toBe(
      '--openim-api (or OPENIM_JSSDK_OPENIM_API) is required when --openim-ws is given',
    );
  });
});

describe('parseServerArgs: which settings were given', () => {
  it('tells the command line and the environment apart from defaults', () => {
    const r = parseServerArgs(['--port', '1'], { OPENIM_JSSDK_DATA_DIR: '/d', OPENIM_JSSDK_WORKERS: '' });
    if (!('ok' in r) || !r.ok) throw new Error(JSON.stringify(r));
    expect([...r.given].sort()).toEqual(['dataDir', 'port']);
    const none = parseServerArgs([], {});
    expect('ok' in none && none.ok && none.given.size).toBe(0);
  });
});

describe('parseServerArgs command-line mistakes', () => {
  it('names an unknown flag', () => {
    expect(errorOf(parseServerArgs(['--port', '1', '--wrokers', '2'], {}))).toBe('unknown option --wrokers (see --help)');
    expect(errorOf(parseServerArgs(['--bogus=1'], {}))).toBe('unknown option --bogus (see --help)');
    expect(errorOf(parseServerArgs(['-x'], {}))).toBe('unknown option -x (see --help)');
  });

  it('names a stray argument', () => {
    expect(errorOf(parseServerArgs(['serve'], {}))).toBe('unexpected argument "serve" (all settings are --flags; see --help)');
    expect(errorOf(parseServerArgs(['--', '--port'], {}))).toContain('unexpected argument "--port"');
  });

  it('names a flag whose value is missing', () => {
    expect(errorOf(parseServerArgs(['--port'], {}))).toBe('--port needs a value');
    expect(errorOf(parseServerArgs(['--port', '--host', 'x'], {}))).toBe('--port needs a value (got "--host"; a value starting with "-" must be attached with "=")');
  });
});

describe('--help', () => {
  it('returns the help text for --help and -h, even next to mistakes', () => {
    for (const argv of [['--help'], ['-h'], ['--bogus', '--help'], ['--workers', 'x', '-h']]) {
      const r = parseServerArgs(argv, { OPENIM_JSSDK_PORT: 'bad' });
      expect(r).toEqual({ help: helpText() });
    }
  });

  it('lists every flag with its env var, default and description', () => {
    const help = helpText();
    for (const spec of Object.values(SERVER_FLAGS)) {
      const at = help.indexOf(`  --${spec.flag} `);
      expect(at, spec.flag).toBeGreaterThanOrEqual(0);
      const block = help.slice(at, help.indexOf('\n  -', at + 1));
      expect(block).toContain(spec.env);
      expect(block).toContain(spec.help);
      expect(block).toContain(`Default: ${spec.defaultText ?? String(spec.default)}`);
    }
    expect(help).toContain('--new-message-events batch|single|both');
    expect(help).toContain('Default: number of CPUs');
    expect(help).toContain('-h, --help');
  });

  it('says what --auth jwt cannot see, and what --token-cache-ttl bounds', () => {
    const help = helpText();
    expect(help).toMatch(/jwt cannot see tokens the IM server has kicked \(1506\) or no longer knows \(1507\)/);
    expect(help).toMatch(/--token-cache-ttl N\n.*taken on trust.*\n.*Default: 60\. Env: OPENIM_JSSDK_TOKEN_CACHE_TTL/);
  });
});
