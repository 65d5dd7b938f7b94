/**
 * Faults a test can ask the long-connection gateway for, one user at a time, to make a
 * real core go through what a flaky network or a struggling server does to it: its
 * connection dropped, its next handshakes failing, its next newest-seq request refused.
 * Reachable only through the dev server's JS API, never over the network.
 */

export class FaultPlan {
  readonly #refusals = new Map<string, number>();
  readonly #seqFailures = new Map<string, number>();

  refuseHandshakes(userID: string, count: number): void {
    this.#refusals.set(userID, count);
  }

  failNewestSeq(userID: string, count: number): void {
    this.#seqFailures.set(userID, count);
  }

  /** True (and one fewer left) when this handshake of the user is to fail. */
  takeRefusal(userID: string): boolean {
    return take(this.#refusals, userID);
  }

  takeSeqFailure(userID: string): boolean {
    return take(this.#seqFailures, userID);
  }
}

function take(counts: Map<string, number>, userID: string): boolean {
  const left = counts.get(userID) ?? 0;
  if (left <= 0) return false;
  if (left === 1) counts.delete(userID);
  else counts.set(userID, left - 1);
  return true;
}
