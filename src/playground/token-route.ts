/**
 * The playground's token route (`POST /playground/token`, `{"userID": "<name>"}`): registers the
 * name on the embedded dev server if new and answers its token for the web platform. Why it
 * exists and what it grants: see playground-site.ts. Every refusal is an HTTP status with
 * `{error}` saying what was wrong; a fault of ours (the dev server failing) rejects, for the
 * gateway's barrier to answer 500 and count.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { PLAYGROUND_LIMITS, PLAYGROUND_PLATFORM_ID, PLAYGROUND_USER_ID, type PlaygroundLimits } from './playground-limits.ts';

export interface TokenRouteOptions {
  /** Absent (a real IM server): the route answers 404 saying how the page signs in instead. */
  readonly issueToken?: (userID: string) => Promise<string>;
  readonly limits: PlaygroundLimits;
  readonly logger: Logger;
  /** Answers with the site's headers. */
  readonly replyJson: (res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>) => void;
}

class TokenRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One route instance per site: it holds the names registered and the requests in flight. */
export function createTokenRoute(options: TokenRouteOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { limits, replyJson } = options;
  const registered = new Set<string>();
  let inFlight = 0;

  return async function issue(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const issueToken = options.issueToken;
    if (issueToken === undefined) {
      replyJson(res, 404, { error: 'no token route: this gateway serves a real IM server; sign in with a userID and a token from it' });
      return;
    }
    let userID: string;
    try {
      // Bodies are read before a place is taken, so slow senders hold no place (the HTTP
      // server's request timeout ends them).
      userID = parseTokenRequest(req.headers['content-type'], await readBounded(req, limits.tokenRequestBytes));
    } catch (err) {
      if (!(err instanceof TokenRequestError)) throw err;
      // A refused body may not have been read to its end: close rather than read on.
      replyJson(res, err.status, { error: err.message }, err.status === 413 ? { Connection: 'close' } : {});
      return;
    }
    if (inFlight >= limits.tokenRequestsInFlight) {
      replyJson(res, 503, { error: 'too many token requests at once; try again in a moment' }, { 'Retry-After': '1' });
      return;
    }
    const isNew = !registered.has(userID);
    if (isNew && registered.size >= limits.registeredUsers) {
      replyJson(res, 429, { error: `the playground has registered its limit of ${limits.registeredUsers} users; pick a name used before` });
      return;
    }
    // Counted before the dev server answers, so that concurrent new names cannot pass the bound.
    if (isNew) registered.add(userID);
    inFlight++;
    try {
      const token = await issueToken(userID);
      options.logger.info({ userID, platformID: PLAYGROUND_PLATFORM_ID }, 'playground: token issued');
      replyJson(res, 200, { userID, token });
    } catch (err) {
      if (isNew) registered.delete(userID);
      throw err;
    } finally {
      inFlight--;
    }
  };
}

/** The request's body, refused (413) past `limit` bytes without reading the rest. */
function readBounded(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new TokenRequestError(413, `a token request's body must be at most ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        reject(new TokenRequestError(413, `a token request's body must be at most ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    // A visitor who hangs up mid-body is not a fault of ours.
    req.once('error', () => reject(new TokenRequestError(400, 'the request body could not be read')));
  });
}

/** `{"userID": "<name>"}` as JSON, or an error saying what was wrong. */
function parseTokenRequest(contentType: string | undefined, body: Buffer): string {
  // Also keeps other sites' pages out: a cross-origin JSON POST needs a preflight nobody answers.
  if (!(contentType ?? '').toLowerCase().startsWith('application/json')) {
    throw new TokenRequestError(415, 'a token request must be application/json: {"userID": "<name>"}');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new TokenRequestError(400, 'a token request must be JSON: {"userID": "<name>"}');
  }
  const userID = typeof parsed === 'object' && parsed !== null && 'userID' in parsed ? parsed.userID : undefined;
  if (typeof userID !== 'string') throw new TokenRequestError(400, 'userID must be a string: {"userID": "<name>"}');
  if (!PLAYGROUND_USER_ID.test(userID)) {
    throw new TokenRequestError(400, `userID must be 1 to ${PLAYGROUND_LIMITS.userIDChars} letters (a-z, A-Z), digits or _ (got ${JSON.stringify(userID.slice(0, 40))})`);
  }
  return userID;
}
