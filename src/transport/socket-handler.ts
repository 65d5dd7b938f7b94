/**
 * What happens to a verified WebSocket: it becomes a ClientConn, joins its session through
 * the hub, and from then on each frame is held against the inbound budget until its
 * request has been answered. A fault anywhere in here is caught, logged and counted; it
 * never reaches the socket library or another socket.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { LIMITS } from '../limits.ts';
import type { GatewayMetrics } from '../metrics.ts';
import { sessionKey, type Hub } from '../sessions/hub.ts';
import { handleFrame, type RequestContext } from '../sessions/request-handler.ts';
import { ClientConn } from './client-conn.ts';
import { CLOSE_CODES } from './close-codes.ts';
import type { InboundBudget } from './inbound-budget.ts';

export interface SocketHandlerDeps {
  logger: Logger;
  metrics: GatewayMetrics;
  hub: Hub;
  inbound: InboundBudget;
  /** Everything a request needs; built once and shared by every socket. */
  requests: RequestContext;
}

export type SocketHandler = (ws: WebSocket, identity: ClientConn['identity'], transport: Duplex) => void;

export function socketHandler(deps: SocketHandlerDeps): SocketHandler {
  const { logger, metrics, hub, inbound, requests } = deps;
  return (ws, identity, transport) => {
    const log = logger.child({ userID: identity.userID, platformID: identity.platformID });
    const conn = new ClientConn(
      ws,
      identity,
      {
        outboundBacklogBytes: LIMITS.outboundBacklogBytes,
        slowConsumerMs: LIMITS.slowConsumerMs,
        outboundBacklogHardBytes: LIMITS.outboundBacklogHardBytes,
        onServerClose: (code, backlogBytes) => {
          metrics.disconnects.inc({ code: String(code) });
          if (code === CLOSE_CODES.slowConsumer.code) log.info({ conn: conn.id, backlogBytes }, 'slow consumer closed');
        },
        onSendError: (err) => {
          metrics.internalErrors.inc({ where: 'send' });
          log.error({ conn: conn.id, err }, 'internal error while writing to a client socket');
        },
      },
      transport,
    );
    const session = hub.attach(conn);
    const key = sessionKey(identity.userID, identity.platformID);
    log.debug({ conn: conn.id, remoteAddress: identity.remoteAddress }, 'client connected');
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const bytes = data.length;
      try {
        conn.noteInbound(isBinary);
        inbound.take(conn, key, bytes);
        // handleFrame never rejects; its bytes are held until it has answered.
        handleFrame(requests, conn, session, data.toString('utf8'))
          .then(() => inbound.release(conn, key, bytes))
          .catch((err: unknown) => {
            metrics.internalErrors.inc({ where: 'frame' });
            log.error({ conn: conn.id, err }, 'internal error after answering a frame');
          });
      } catch (err) {
        metrics.internalErrors.inc({ where: 'frame' });
        log.error({ conn: conn.id, err }, 'internal error while receiving a frame');
      }
    });
    ws.on('error', (err) => log.debug({ conn: conn.id, err: err.message }, 'client socket error'));
    ws.on('close', (code) => {
      inbound.forget(conn, key);
      log.debug({ conn: conn.id, code }, 'client disconnected');
      hub.detach(conn, session);
    });
  };
}
