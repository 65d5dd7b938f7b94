/**
 * Tokens cut out of the core's own log lines before they reach our logs. The official core
 * logs its IM WebSocket URL (`…?sendID=…&token=<jwt>…`) and, at verbose levels, request
 * headers and login arguments; our logs must never hold a user's token.
 *
 * Two patterns, both linear: anything shaped like a JWT (three base64url parts, the first
 * starting with `eyJ`, i.e. `{"`), and the value of a `token` parameter or field however it
 * is written (`token=…`, `"token":"…"`, `token: …`).
 */

export const REDACTED_TOKEN = '<token>';

const JWT = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const TOKEN_FIELD = /(\btoken\\?"?\s*[:=]\s*\\?"?)[^\s"'&\\,}]+/gi;

export function redactTokens(line: string): string {
  return line.replace(JWT, REDACTED_TOKEN).replace(TOKEN_FIELD, `$1${REDACTED_TOKEN}`);
}
