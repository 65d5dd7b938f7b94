/**
 * When the browser playground is served. It is a demo client for people trying the server:
 * on by default only with the embedded dev server (whose accounts are throw-away), and
 * never against a real IM server unless the operator asks for it by name.
 */
export const PLAYGROUND_MODES = ['auto', 'on', 'off'] as const;
export type PlaygroundMode = (typeof PLAYGROUND_MODES)[number];

/** @param embedded whether the gateway runs the embedded dev server (no `--openim-api`). */
export function playgroundEnabled(mode: PlaygroundMode, embedded: boolean): boolean {
  if (mode === 'auto') return embedded;
  return mode === 'on';
}
