/** One line a child process printed, read as a pino JSON log entry if it is one. */
export interface PinoEntry {
  level: number;
  msg: string;
}

/** The entry's level and message, or undefined for a line that is not a pino entry (a crash trace, a warning). */
export function parsePinoLine(line: string): PinoEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  let entry: { level?: unknown; msg?: unknown };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return undefined;
  }
  if (typeof entry.level !== 'number') return undefined;
  return { level: entry.level, msg: typeof entry.msg === 'string' ? entry.msg : '' };
}
