import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/dev-server.ts';
import { REAL_API_ROUTES, TOKEN_WHITELIST } from '../../src/devserver/protocol/api-routes.ts';
import { API_ROUTES } from '../../src/devserver/http/im-routes.ts';
import { callApi } from './helpers/im-client.ts';

let now = Date.parse('2026-01-01T00:00:00Z');
let server: DevServer;
let admin: string;

beforeAll(async () => {
  server = await startDevServer({ apiPort: 0, wsPort: 0, now: () => now });
  admin = await server.adminToken();
});
afterAll(async () => {
  await server.close();
});

const api = (path: string, body: unknown, headers: Parameters<typeof callApi>[3] = {}) => callApi(server.apiUrl, path, body, headers);

async function register(...userIDs: string[]): Promise<void> {
  const r = await api('/user/user_register', { users: userIDs.map((userID) => ({ userID, nickname: `nick ${userID}`, faceURL: '' })) }, { token: admin });
  expect(r.json).toEqual({ errCode: 0, errMsg: '', errDlt: '' });
}

async function userToken(userID: string, platformID = 5): Promise<{ token: string; expireTimeSeconds: number }> {
  const r = await api('/auth/get_user_token', { userID, platformID }, { token: admin });
  expect(r.json?.errCode).toBe(0);
  return r.json?.data as { token: string; expireTimeSeconds: number };
}

describe('routes table', () => {
  it('serves only paths the real API has', () => {
    for (const path of API_ROUTES.keys()) expect(REAL_API_ROUTES.has(path), path).toBe(true);
  });
});

describe('envelope and header checks', () => {
  it('answers CORS preflights and sets CORS headers on everything', async () => {
    const pre = await fetch(`${server.apiUrl}/user/get_users_info`, { method: 'OPTIONS' });
    expect(pre.status).toBe(200);
    expect(await pre.json()).toBe('Options Request!');
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    // A refusal, an unknown path and a success carry them too.
    const answers = [
      await fetch(`${server.apiUrl}/user/get_users_info`, { method: 'POST', body: '{}' }),
      await fetch(`${server.apiUrl}/no/such/path`, { method: 'POST', body: '{}', headers: { operationID: 'cors', token: admin } }),
      await fetch(`${server.apiUrl}/auth/parse_token`, { method: 'POST', body: JSON.stringify({ token: admin }), headers: { operationID: 'cors' } }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 404, 200]);
    for (const r of answers) {
      expect(r.headers.get('access-control-allow-origin'), r.url).toBe('*');
      expect(r.headers.get('access-control-allow-headers'), r.url).toBe('*');
    }
  });

  it('missing operationID → 1001 ArgsError', async () => {
    const r = await api('/user/get_users_info', { userIDs: [] }, { operationID: null, token: admin });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ errCode: 1001, errMsg: 'ArgsError' });
    expect(r.json?.errDlt).toContain('operationID');
    expect(r.json).not.toHaveProperty('data');
  });

  it('missing token → 1001, except on the whitelisted paths', async () => {
    const r = await api('/user/get_users_info', { userIDs: [] });
    expect(r.json).toMatchObject({ errCode: 1001, errMsg: 'ArgsError' });
    expect(r.json?.errDlt).toContain('token');
    const parse = await api('/auth/parse_token', { token: admin });
    expect(parse.json?.errCode).toBe(0);
  });

  it('unknown endpoint → the router 404 (after the header checks, as in the real middleware order)', async () => {
    const noToken = await api('/nope/nothing', {});
    expect(noToken.json?.errCode).toBe(1001);
    const r = await api('/nope/nothing', {}, { token: admin });
    expect(r.status).toBe(404);
    expect(r.text).toBe('404 page not found');
    const get = await fetch(`${server.apiUrl}/user/get_users_info`);
    expect(get.status).toBe(404);
  });

  it('a real endpoint the dev server lacks says so with 500', async () => {
    const r = await api('/user/process_user_command_add', { userID: 'x' }, { token: admin });
    expect(r.json).toMatchObject({ errCode: 500, errMsg: 'ServerInternalError' });
    expect(r.json?.errDlt).toContain('not implemented');
  });

  it('non-JSON and wrongly typed bodies → 1001 with the decoder complaint', async () => {
    const garbage = await api('/user/get_users_info', 'this is not json', { token: admin });
    expect(garbage.json?.errCode).toBe(1001);
    expect(garbage.json?.errMsg).not.toBe('');
    const empty = await api('/user/get_users_info', '', { token: admin });
    expect(empty.json).toMatchObject({ errCode: 1001, errMsg: 'unexpected end of JSON input' });
    const array = await api('/user/get_users_info', [], { token: admin });
    expect(array.json?.errCode).toBe(1001);
    const typed = await api('/user/get_users_info', { userIDs: 'alice' }, { token: admin });
    expect(typed.json).toMatchObject({ errCode: 1001 });
    expect(typed.json?.errMsg).toContain('userIDs');
  });
});

describe('tokens', () => {
  it('get_admin_token: right secret → token (platform 10), wrong secret → 1002, non-admin → 1001', async () => {
    const ok = await api('/auth/get_admin_token', { secret: 'openIM123', userID: 'imAdmin' });
    expect(ok.json?.data).toEqual({ token: expect.any(String), expireTimeSeconds: 90 * 86400 });
    const parsed = await api('/auth/parse_token', { token: (ok.json?.data as { token: string }).token });
    expect(parsed.json?.data).toMatchObject({ userID: 'imAdmin', platformID: 10 });
    expect((await api('/auth/get_admin_token', { secret: 'nope', userID: 'imAdmin' })).json).toMatchObject({ errCode: 1002, errMsg: 'NoPermissionError' });
    expect((await api('/auth/get_admin_token', { secret: 'openIM123', userID: 'bob' })).json?.errCode).toBe(1001);
    expect((await api('/auth/get_admin_token', { secret: 'openIM123' })).json?.errCode).toBe(1001);
  });

  it('issues HS256 JWTs with exactly the real claims', async () => {
    await register('claims1');
    const { token, expireTimeSeconds } = await userToken('claims1', 2);
    expect(expireTimeSeconds).toBe(7_776_000);
    const [h, p] = token.split('.');
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, number | string>;
    expect(Object.keys(claims)).toEqual(['UserID', 'PlatformID', 'exp', 'iat']);
    expect(claims).toEqual({ UserID: 'claims1', PlatformID: 2, exp: now / 1000 + 7_776_000, iat: now / 1000 - 5 });
  });

  it('parse_token: the success shape, and every failure code', async () => {
    await register('parse1');
    const { token } = await userToken('parse1');
    const ok = await api('/auth/parse_token', { token });
    expect(ok.json).toEqual({ errCode: 0, errMsg: '', errDlt: '', data: { userID: 'parse1', platformID: 5, expireTimeSeconds: now / 1000 + 7_776_000 } });

    const codeOf = async (t: string) => (await api('/auth/parse_token', { token: t })).json;
    expect(await codeOf('not-a-jwt')).toMatchObject({ errCode: 1503, errMsg: 'TokenMalformedError' });
    expect(await codeOf(`${token.slice(0, -3)}AAA`)).toMatchObject({ errCode: 1505, errMsg: 'TokenUnknownError' });
    const key = new TextEncoder().encode('openIM123');
    const sign = (claims: Record<string, unknown>, secret = key) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
    const t = now / 1000;
    expect(await codeOf(await sign({ UserID: 'parse1', PlatformID: 5, exp: t - 1, iat: t - 100 }))).toMatchObject({ errCode: 1501, errMsg: 'TokenExpiredError' });
    // expired *and* badly signed: expired wins, as in the real parser
    expect((await codeOf(await sign({ UserID: 'parse1', PlatformID: 5, exp: t - 1 }, new TextEncoder().encode('other'))))?.errCode).toBe(1501);
    expect((await codeOf(await sign({ UserID: 'parse1', PlatformID: 5, exp: t + 100, nbf: t + 50 })))?.errCode).toBe(1504);
    expect((await codeOf(await sign({ UserID: 'parse1', PlatformID: 5, exp: t + 100, iat: t + 50 })))?.errCode).toBe(1505);
    expect((await codeOf(await sign({ UserID: 'parse1', PlatformID: 'five', exp: t + 100 })))?.errCode).toBe(1503);
    // well signed, but never issued by this server
    expect(await codeOf(await sign({ UserID: 'parse1', PlatformID: 5, exp: t + 100, iat: t }))).toMatchObject({ errCode: 1507, errMsg: 'TokenNotExistError' });
    expect((await api('/auth/parse_token', {})).json?.errCode).toBe(1001);
  });

  it('a new token for the same platform kicks the old one (1506); other platforms are untouched', async () => {
    await register('multi1');
    // Tokens issued within the same second are the same string (same claims), as in the real server.
    const first = await userToken('multi1', 5);
    const other = await userToken('multi1', 1);
    now += 1000;
    const second = await userToken('multi1', 5);
    const code = async (token: string) => (await api('/auth/parse_token', { token })).json?.errCode;
    expect(await code(first.token)).toBe(1506);
    expect(await code(second.token)).toBe(0);
    expect(await code(other.token)).toBe(0);
    // and the kicked token is refused everywhere
    const r = await api('/user/get_users_info', { userIDs: ['multi1'] }, { token: first.token });
    expect(r.json).toMatchObject({ errCode: 1506, errMsg: 'TokenKickedError' });
    // a third token: the already-kicked one is forgotten (1507), the second one kicked
    now += 1000;
    await userToken('multi1', 5);
    expect(await code(first.token)).toBe(1507);
    expect(await code(second.token)).toBe(1506);
  });

  it('expired tokens: 1501 on every call', async () => {
    await register('expire1');
    const token = await server.userToken('expire1', 5, { ttlSeconds: 60 });
    expect((await api('/user/get_users_info', { userIDs: ['expire1'] }, { token })).json?.errCode).toBe(0);
    now += 61_000;
    const r = await api('/user/get_users_info', { userIDs: ['expire1'] }, { token });
    expect(r.json).toMatchObject({ errCode: 1501, errMsg: 'TokenExpiredError' });
    expect(r.json).not.toHaveProperty('data');
    // Every route behind the token check, whatever its body.
    for (const path of API_ROUTES.keys()) {
      if (TOKEN_WHITELIST.some((prefix) => path.startsWith(prefix))) continue;
      expect((await api(path, {}, { token })).json, path).toMatchObject({ errCode: 1501, errMsg: 'TokenExpiredError' });
    }
  });

  it('get_user_token refuses non-admins, the admin platform, admin users and unknown users', async () => {
    await register('tok1');
    const { token } = await userToken('tok1');
    expect((await api('/auth/get_user_token', { userID: 'tok1', platformID: 5 }, { token })).json?.errCode).toBe(1002);
    expect((await api('/auth/get_user_token', { userID: 'tok1', platformID: 10 }, { token: admin })).json?.errCode).toBe(1002);
    expect((await api('/auth/get_user_token', { userID: 'imAdmin', platformID: 5 }, { token: admin })).json?.errCode).toBe(1002);
    expect((await api('/auth/get_user_token', { userID: 'ghost', platformID: 5 }, { token: admin })).json).toMatchObject({
      errCode: 1004,
      errMsg: 'RecordNotFoundError',
    });
  });

  it('force_logout: admin only, validates the platform, marks the tokens kicked', async () => {
    await register('force1');
    const { token } = await userToken('force1', 3);
    expect((await api('/auth/force_logout', { userID: 'force1', platformID: 3 }, { token })).json?.errCode).toBe(1002);
    expect((await api('/auth/force_logout', { userID: 'force1', platformID: 11 }, { token: admin })).json?.errCode).toBe(1001);
    const r = await api('/auth/force_logout', { userID: 'force1', platformID: 3 }, { token: admin });
    expect(r.json).toEqual({ errCode: 0, errMsg: '', errDlt: '' });
    expect((await api('/auth/parse_token', { token })).json?.errCode).toBe(1506);
  });
});

describe('users', () => {
  it('user_register: admin only, legal IDs, nicknames, no repeats, no re-registration', async () => {
    await register('reg1');
    const { token } = await userToken('reg1');
    expect((await api('/user/user_register', { users: [{ userID: 'reg2', nickname: 'x' }] }, { token })).json?.errCode).toBe(1002);
    expect((await api('/user/user_register', { users: [{ userID: 'bad id', nickname: 'x' }] }, { token: admin })).json?.errCode).toBe(1001);
    expect((await api('/user/user_register', { users: [{ userID: 'reg3', nickname: '' }] }, { token: admin })).json?.errCode).toBe(1001);
    expect((await api('/user/user_register', { users: [] }, { token: admin })).json?.errCode).toBe(1001);
    expect(
      (
        await api(
          '/user/user_register',
          {
            users: [
              { userID: 'reg4', nickname: 'a' },
              { userID: 'reg4', nickname: 'b' },
            ],
          },
          { token: admin },
        )
      ).json?.errCode,
    ).toBe(1001);
    expect((await api('/user/user_register', { users: [{ userID: 'reg1', nickname: 'again' }] }, { token: admin })).json).toMatchObject({
      errCode: 1102,
      errMsg: 'RegisteredAlreadyError',
    });
  });

  it('get_users_info returns the registered ones; update_user_info_ex changes only the set fields', async () => {
    await register('prof1');
    const { token } = await userToken('prof1');
    const upd = await api('/user/update_user_info_ex', { userInfo: { userID: 'prof1', nickname: 'Prof', faceURL: null, ex: null, globalRecvMsgOpt: null } }, { token });
    expect(upd.json).toEqual({ errCode: 0, errMsg: '', errDlt: '' });
    const r = await api('/user/get_users_info', { userIDs: ['prof1', 'nobody'] }, { token });
    expect(r.json?.data).toEqual({
      usersInfo: [{ userID: 'prof1', nickname: 'Prof', faceURL: '', ex: '', createTime: now, appMangerLevel: 0, globalRecvMsgOpt: 0 }],
    });
    expect((await api('/user/update_user_info_ex', { userInfo: { userID: 'imAdmin', nickname: 'x' } }, { token })).json?.errCode).toBe(1002);
  });
});
