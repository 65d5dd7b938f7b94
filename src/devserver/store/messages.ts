/**
 * Stored messages per conversation with contiguous seqs from 1 (spec §4.4), and each
 * user's has-read seq per conversation (§4.5).
 */
import type { MsgData } from '../protocol/proto-schema.ts';

interface ConversationLog {
  /** msgs[i] has seq i + 1. */
  readonly msgs: MsgData[];
}

export class MessageStore {
  readonly #conversations = new Map<string, ConversationLog>();
  readonly #hasRead = new Map<string, Map<string, number>>();

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
}
