/**
 * The process's logger, for the gateway's and the dev server's command lines. Someone
 * watching a terminal gets readable lines (pino-pretty, in pino's transport thread so the
 * formatting costs the event loop nothing); anything else (a pipe, a file, a container
 * log collector) gets one JSON object per line, which log pipelines and our own tests parse.
 */
import { pino, type Logger } from 'pino';

export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  readonly level: string;
  /** `auto`: pretty when stdout is a terminal, JSON otherwise. */
  readonly format: LogFormat;
  /** Whether stdout is a terminal; `process.stdout.isTTY` unless a test says otherwise. */
  readonly isTTY?: boolean;
}

/** The format `auto` stands for, given where stdout goes. */
export function resolveLogFormat(format: LogFormat, isTTY: boolean): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return isTTY ? 'pretty' : 'json';
}

export function createLogger(options: LoggerOptions): Logger {
  const isTTY = options.isTTY ?? process.stdout.isTTY === true;
  const format = resolveLogFormat(options.format, isTTY);
  if (format === 'json') return pino({ level: options.level });
  return pino({
    level: options.level,
    transport: {
      target: 'pino-pretty',
      // pid and hostname say nothing on a developer's terminal; the time of day is enough.
      // Colours only on a terminal: the transport's thread cannot see what stdout is.
      options: { destination: 1, colorize: isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    },
  });
}
