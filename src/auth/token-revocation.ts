/**
 * Forgetting cached token verdicts once a token must not be taken on trust any more
 * (logout, kick, the IM server's kicked/expired events): the next socket with it is
 * verified afresh — on this node, and through the cluster on every other one.
 */
import type { Cluster } from '../cluster/cluster.ts';
import type { TokenVerifier } from './token-verifier.ts';

export interface TokenRevocation {
  /** This node only: the user's cached verdicts (of one platform, or all) stop counting. */
  forgetUserLocally: (userID: string, platformID: number | undefined) => void;
  /** These tokens and the user's cached verdicts stop counting everywhere. */
  revoke: (tokens: readonly string[], userID: string, platformID?: number) => void;
}

export function tokenRevocation(verifier: TokenVerifier, cluster: Pick<Cluster, 'forgetTokens'> | undefined): TokenRevocation {
  const forgetUserLocally = (userID: string, platformID: number | undefined): void => verifier.forgetUser?.(userID, platformID);
  return {
    forgetUserLocally,
    revoke: (tokens, userID, platformID) => {
      for (const token of tokens) if (platformID !== undefined) verifier.forget?.(token, { userID, platformID });
      forgetUserLocally(userID, platformID);
      cluster?.forgetTokens(userID, platformID);
    },
  };
}
