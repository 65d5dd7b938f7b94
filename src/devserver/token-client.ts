/**
 * Getting a user token from an OpenIM server (the dev server or a real one with the same
 * secret) over its ordinary HTTP API: admin token, register the user if new, user token.
 * Used by the `token` command and the terminal chat script.
 */
interface Envelope {
  errCode: number;
  errMsg: string;
  errDlt: string;
  data?: Record<string, unknown>;
}

async function post(api: string, path: string, body: unknown, token?: string): Promise<Envelope> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', operationID: `cli-${Date.now()}` };
  if (token !== undefined) headers['token'] = token;
  const res = await fetch(api.replace(/\/+$/, '') + path, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  try {
    return JSON.parse(text) as Envelope;
  } catch {
    throw new Error(`${path}: HTTP ${res.status}, not an OpenIM answer: ${JSON.stringify(text.slice(0, 80))}`);
  }
}

function requireOk(path: string, env: Envelope): Record<string, unknown> {
  if (env.errCode !== 0) throw new Error(`${path}: errCode ${env.errCode} ${env.errMsg}${env.errDlt !== '' ? ` (${env.errDlt})` : ''}`);
  return env.data ?? {};
}

export interface TokenRequest {
  userID: string;
  platformID: number;
  /** The server's secret (dev server default `openIM123`). */
  secret: string;
  /** An admin userID the server accepts (dev server default `imAdmin`). */
  adminUserID: string;
}

export async function issueUserToken(api: string, req: TokenRequest): Promise<string> {
  const adminData = requireOk('/auth/get_admin_token', await post(api, '/auth/get_admin_token', { secret: req.secret, userID: req.adminUserID }));
  const admin = tokenIn('/auth/get_admin_token', adminData);
  const registered = await post(api, '/user/user_register', { users: [{ userID: req.userID, nickname: req.userID, faceURL: '' }] }, admin);
  // 1102: already registered, which is fine.
  if (registered.errCode !== 1102) requireOk('/user/user_register', registered);
  const data = requireOk('/auth/get_user_token', await post(api, '/auth/get_user_token', { userID: req.userID, platformID: req.platformID }, admin));
  return tokenIn('/auth/get_user_token', data);
}

function tokenIn(path: string, data: Record<string, unknown>): string {
  const token = data['token'];
  if (typeof token !== 'string') throw new Error(`${path}: the answer has no token`);
  return token;
}
