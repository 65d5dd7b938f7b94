/**
 * OpenIM platform IDs, as the clients and the IM server number them. The ID is part of every token and
 * of the connection key, so anything outside this table is refused at the handshake
 * rather than passed to the core, which would only fail later and less clearly.
 */

/** The IM server's multi-login classes; `undefined` where the old table had none. */
export type TerminalClass = 'Mobile' | 'PC' | undefined;

export interface PlatformInfo {
  readonly id: number;
  readonly name: string;
  readonly terminalClass: TerminalClass;
}

export const PLATFORMS = [
  { id: 1, name: 'IOS', terminalClass: 'Mobile' },
  { id: 2, name: 'Android', terminalClass: 'Mobile' },
  { id: 3, name: 'Windows', terminalClass: 'PC' },
  { id: 4, name: 'OSX', terminalClass: 'PC' },
  { id: 5, name: 'Web', terminalClass: 'PC' },
  // Mini-programs use 6 even though client v3's Platform enum omits it.
  { id: 6, name: 'MiniWeb', terminalClass: 'Mobile' },
  { id: 7, name: 'Linux', terminalClass: 'PC' },
  { id: 8, name: 'APad', terminalClass: undefined },
  { id: 9, name: 'IPad', terminalClass: undefined },
  { id: 10, name: 'Admin', terminalClass: undefined },
  { id: 11, name: 'Harmony', terminalClass: undefined },
] as const satisfies readonly PlatformInfo[];

export type PlatformID = (typeof PLATFORMS)[number]['id'];

export const MIN_PLATFORM_ID = 1;
export const MAX_PLATFORM_ID = 11;

const BY_ID: ReadonlyMap<number, PlatformInfo> = new Map(PLATFORMS.map((p) => [p.id, p]));

export function isPlatformID(n: number): n is PlatformID {
  return BY_ID.has(n);
}

/**
 * Decimal digits only: clients format the ID with `${platformID}`, so anything else
 * ("+5", "05", "5.0", " 5", "0x5") is not what a client sent and is refused.
 */
export function parsePlatformID(s: string): PlatformID | undefined {
  if (!/^[1-9][0-9]?$/.test(s)) return undefined;
  const n = Number(s);
  return isPlatformID(n) ? n : undefined;
}

/** For logs and connection keys; unknown IDs are shown as numbers rather than throwing. */
export function platformName(id: number): string {
  return BY_ID.get(id)?.name ?? `platform ${id}`;
}
