/**
 * Network addresses cut out of error texts before they reach a client. The core's errors
 * carry Go's network error text, which names the IM server as the gateway reaches it, e.g.
 *
 *   Network error ApiPost http.Client.Do failed Post "http://10.0.0.5:10002/user/get_users_info": …
 *   failed to WebSocket dial "ws://openim:10001?…&token=…": …
 *   dial tcp 10.0.0.5:10002: connect: connection refused
 *   dial tcp: lookup openim-api on 127.0.0.11:53: no such host
 *
 * Internal addresses (and the token in a logged WebSocket URL) are nothing a client should
 * learn; the text around them still says what failed. Callers keep the raw text for their
 * debug log.
 */

export const REDACTED_URL = '<url>';
export const REDACTED_ADDRESS = '<address>';
export const REDACTED_HOST = '<host>';

/**
 * In order: URLs first, so that their host parts are not redacted piecemeal. Texts can
 * echo client data of megabytes, so every pattern runs in linear time: where a pattern
 * could start at every character of a long run ("a.a.a.a…"), a lookbehind lets it start
 * only where the run starts.
 */
const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // Any scheme://…, up to whitespace or a quote (Go quotes URLs in its errors).
  [/(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, REDACTED_URL],
  // Go's DNS errors: "lookup <host> on <resolver>: …" and "lookup <host>: …".
  [/\blookup\s+[^\s:]+/g, `lookup ${REDACTED_HOST}`],
  // Go's net.OpError: "dial tcp <addr>: …", "read tcp <local>-><remote>: …".
  [/\b(dial|read|write|accept|listen)\s+((?:tcp|udp|ip)[46]?|unix)\s+\S+?(?=:\s|:$|$)/g, `$1 $2 ${REDACTED_ADDRESS}`],
  // [IPv6]:port, IPv4[:port], name.with.dots:port and localhost[:port], wherever they stand
  // (a source file and line, "coderr.go:67", is not a host and port).
  // (At least two colons inside: "[0]" of "index out of range [0]" is not an address.)
  [/\[(?=[0-9a-f.%]*:[0-9a-f.%]*:)[0-9a-f:.%]+\](?::\d{1,5})?/gi, REDACTED_ADDRESS],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, REDACTED_ADDRESS],
  [/(?<![a-z0-9.-])(?=[a-z0-9-]*[a-z])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?!(?:go|s|c|h|cc|cpp|js|mjs|cjs|ts|py|rs|java|proto):)[a-z0-9-]+:\d{1,5}\b/gi, REDACTED_ADDRESS],
  [/\blocalhost(?::\d{1,5})?\b/gi, REDACTED_ADDRESS],
];

/** `text` with every URL, IP address, host:port and looked-up host name replaced by a placeholder. */
export function redactAddresses(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}
