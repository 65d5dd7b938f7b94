/**
 * Stored messages per conversation with contiguous seqs from 1 (docs/im-server.md#seqs), each user's
 * has-read seq per conversation (docs/im-server.md#has-read-seqs), and what only one user sees: messages they
 * deleted for themselves and the seq below which they cleared a conversation. A revoked
 * message keeps its seq; who revoked it is kept beside it.
 */
import type { MsgData } from '../protocol/proto-schema.ts';

interface ConversationLog {
  /** msgs[i] has seq i + 1. */
  readonly msgs: MsgData[];
}

/** Who revoked a message, as the real store records it. */
export interface Revocation {
  readonly userID: string;
  /** The revoker's group role (or app manager level in a single chat). */
  readonly role: number;
  readonly nickname: string;
  /** Epoch ms. */
  readonly time: number;
}

function userKey(userID: string, conversationID: string): string {
  return `${userID}\u0000${conversationID}`;
}

export class MessageStore {
  readonly #conversations = new Map<string, ConversationLog>();
  readonly #hasRead = new Map<string, Map<string, number>>();
  /** conversationID → seq → revocation */
  readonly #revoked = new Map<string, Map<number, Revocation>>();
  /** user+conversation → seqs that user deleted for themself */
  readonly #deletedFor = new Map<string, Set<number>>();
  /** user+conversation → the first seq that user still sees */
  readonly #minSeqFor = new Map<string, number>();

  /** Gives the message the conversation's next seq and stores a copy; returns the seq. */
  append(conversationID: string, msg: MsgData): number {
    let log = this.#conversations.get(conversationID);
    if (log === undefined) {
      log = { msgs: [] };
      this.#conversations.set(conversationID, log);
    }
    const seq = log.msgs.length + 1;
    log.msgs.push({ ...msg, seq });
    return seq;
  }

  maxSeq(conversationID: string): number {
    return this.#conversations.get(conversationID)?.msgs.length ?? 0;
  }

  /** sendTime of the newest message, 0 when there is none. */
  maxSeqTime(conversationID: string): number {
    const msgs = this.#conversations.get(conversationID)?.msgs;
    return msgs === undefined || msgs.length === 0 ? 0 : (msgs[msgs.length - 1]?.sendTime ?? 0);
  }

  /** The stored message as it was sent (revocations and deletions not applied). */
  get(conversationID: string, seq: number): MsgData | undefined {
    if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
    return this.#conversations.get(conversationID)?.msgs[seq - 1];
  }

  last(conversationID: string): MsgData | undefined {
    return this.get(conversationID, this.maxSeq(conversationID));
  }

  /** Flags stored messages as read by their receiver (single chats' read receipts). */
  markRead(conversationID: string, seqs: readonly number[]): void {
    for (const seq of seqs) {
      const msg = this.get(conversationID, seq);
      if (msg !== undefined) msg.isRead = true;
    }
  }

  hasReadSeq(userID: string, conversationID: string): number {
    return this.#hasRead.get(conversationID)?.get(userID) ?? 0;
  }

  setHasReadSeq(userID: string, conversationID: string, seq: number): void {
    let users = this.#hasRead.get(conversationID);
    if (users === undefined) {
      users = new Map();
      this.#hasRead.set(conversationID, users);
    }
    users.set(userID, seq);
  }

  revoke(conversationID: string, seq: number, revocation: Revocation): void {
    let revoked = this.#revoked.get(conversationID);
    if (revoked === undefined) {
      revoked = new Map();
      this.#revoked.set(conversationID, revoked);
    }
    revoked.set(seq, revocation);
  }

  revocation(conversationID: string, seq: number): Revocation | undefined {
    return this.#revoked.get(conversationID)?.get(seq);
  }

  /** The user no longer sees these messages (others still do). */
  deleteFor(userID: string, conversationID: string, seqs: readonly number[]): void {
    const key = userKey(userID, conversationID);
    let deleted = this.#deletedFor.get(key);
    if (deleted === undefined) {
      deleted = new Set();
      this.#deletedFor.set(key, deleted);
    }
    const max = this.maxSeq(conversationID);
    for (const seq of seqs) if (Number.isSafeInteger(seq) && seq >= 1 && seq <= max) deleted.add(seq);
  }

  isDeletedFor(userID: string, conversationID: string, seq: number): boolean {
    return this.#deletedFor.get(userKey(userID, conversationID))?.has(seq) ?? false;
  }

  /** The user cleared the conversation: they see only seqs from `seq` on. */
  setMinSeqFor(userID: string, conversationID: string, seq: number): void {
    this.#minSeqFor.set(userKey(userID, conversationID), seq);
    // What lies below is gone for them anyway.
    const deleted = this.#deletedFor.get(userKey(userID, conversationID));
    if (deleted !== undefined) for (const s of deleted) if (s < seq) deleted.delete(s);
  }

  /** 0 when the user never cleared the conversation. */
  minSeqFor(userID: string, conversationID: string): number {
    return this.#minSeqFor.get(userKey(userID, conversationID)) ?? 0;
  }
}
