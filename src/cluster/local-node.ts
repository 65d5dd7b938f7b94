/**
 * What the cluster asks of this node's sessions, and the adapter that answers from the hub.
 * The cluster layer never reaches into sessions otherwise.
 */
import type { Hub } from '../sessions/hub.ts';
import { CLOSE_CODES } from '../transport/close-codes.ts';
import type { SessionRow } from './messages.ts';

export interface LocalNode {
  /** The fence under which this node holds userID/platformID, if a session here holds it. */
  fenceOf(userID: string, platformID: number): number | undefined;
  /** Another node takes the user over: core logged out the socket-close way, sockets told to reconnect, entry released. */
  handOver(userID: string, platformID: number, to: string): Promise<void>;
  /** This node lost its lease: every session that holds its user lets go the same way. */
  handOverAll(why: string): Promise<void>;
  /** Operator kick (tokens forgotten first); the number of sessions ended. */
  kick(userID: string, platformID: number | undefined): Promise<number>;
  sessions(): SessionRow[];
  /** Cached token verdicts of this user stop counting on this node. */
  forgetTokens(userID: string, platformID: number | undefined): void;
}

export function localNodeOf(hub: Hub, forgetTokens: (userID: string, platformID: number | undefined) => void): LocalNode {
  return {
    fenceOf: (userID, platformID) => hub.get(userID, platformID)?.ownershipFence,
    handOver: async (userID, platformID, to) => {
      await hub.get(userID, platformID)?.handOver(`taken over by node ${to}`, CLOSE_CODES.handedOver);
    },
    handOverAll: async (why) => {
      await Promise.all(
        hub
          .sessions()
          .filter((s) => s.ownershipFence !== undefined)
          .map((s) => s.handOver(why, CLOSE_CODES.clusterUnavailable)),
      );
    },
    kick: (userID, platformID) => hub.kick(userID, platformID, forgetTokens),
    sessions: () => hub.sessions().map((s) => ({ userID: s.userID, platformID: s.platformID, state: s.state, connections: s.connections, workerId: s.workerId ?? null })),
    forgetTokens,
  };
}
