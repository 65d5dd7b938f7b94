/**
 * A terminal chat through the gateway, speaking the same JSON protocol as the
 * open-im-sdk mini-program client. For trying the server out with the embedded dev server:
 *
 *   npm run chat -- alice bob      # as alice, talking to bob; type lines, Ctrl-D to quit
 *
 * Options: --gateway ws://127.0.0.1:10003  --api http://127.0.0.1:10002  --secret openIM123
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { issueUserToken } from '../src/devserver/token-client.ts';

interface Envelope {
  event: string;
  errCode: number;
  errMsg: string;
  data: string;
  operationID: string;
}

const PLATFORM_WEB = 5;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    gateway: { type: 'string', default: 'ws://127.0.0.1:10003' },
    api: { type: 'string', default: 'http://127.0.0.1:10002' },
    secret: { type: 'string', default: 'openIM123' },
  },
});
const [me, peer] = positionals;
if (!me || !peer) {
  process.stderr.write('usage: npm run chat -- <me> <peer> [--gateway ws://…] [--api http://…]\n');
  process.exit(2);
}

const token = await issueUserToken(values.api, { userID: me, platformID: PLATFORM_WEB, secret: values.secret, adminUserID: 'imAdmin' });
const ws = new WebSocket(`${values.gateway}/?sendID=${me}&token=${token}&platformID=${PLATFORM_WEB}&operationID=chat-${Date.now()}`);
await once(ws, 'open');

const pending = new Map<string, (e: Envelope) => void>();
let seq = 0;
function request(reqFuncName: string, data: unknown[] = []): Promise<Envelope> {
  const operationID = `chat-${me}-${++seq}`;
  const answer = new Promise<Envelope>((resolve) => pending.set(operationID, resolve));
  ws.send(JSON.stringify({ reqFuncName, operationID, userID: me, data: JSON.stringify(data) }));
  return answer;
}

function show(message: { sendID?: string; textElem?: { content?: string }; contentType?: number }): void {
  if (message.sendID === me) return;
  const text = message.textElem?.content ?? `(message of type ${message.contentType ?? '?'})`;
  process.stdout.write(`\r${message.sendID}: ${text}\n> `);
}

ws.on('message', (raw: Buffer) => {
  const env = JSON.parse(raw.toString()) as Envelope;
  const waiter = pending.get(env.operationID);
  if (waiter) {
    pending.delete(env.operationID);
    waiter(env);
  } else if (env.event === 'OnRecvNewMessages') {
    for (const m of JSON.parse(env.data) as object[]) show(m);
  } else if (env.event === 'OnKickedOffline' || env.event === 'OnUserTokenExpired') {
    process.stdout.write(`\r${env.event}: session ended\n`);
    process.exit(1);
  }
});
ws.on('close', (code) => {
  process.stdout.write(`\rconnection closed (${code})\n`);
  process.exit(code === 1000 ? 0 : 1);
});

const login = await request('Login', [me, token]);
if (login.errCode !== 0) {
  process.stderr.write(`login failed: ${login.errCode} ${login.errMsg}\n`);
  process.exit(1);
}
process.stdout.write(`logged in as ${me}; talking to ${peer}. Type a line to send it, Ctrl-D to quit.\n> `);

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (line.trim() === '') {
    process.stdout.write('> ');
    continue;
  }
  const created = await request('CreateTextMessage', [line]);
  const sent = created.errCode === 0 ? await request('SendMessageNotOss', [created.data, peer, '', '{}', false]) : created;
  if (sent.errCode !== 0) process.stdout.write(`(not sent: ${sent.errCode} ${sent.errMsg})\n`);
  process.stdout.write('> ');
}
await request('Logout');
ws.close();
