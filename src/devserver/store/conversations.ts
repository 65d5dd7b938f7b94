/**
 * Per-user conversation records (`Conversation`, docs/im-server.md#records): what makes a conversation show
 * up in a user's incremental sync, 1001 and 1006 answers. The real server creates them
 * when the first stored message of a conversation goes through.
 */
import { VersionLog, newVersionID } from './version-log.ts';

export interface ConversationRecord {
  ownerUserID: string;
  conversationID: string;
  recvMsgOpt: number;
  conversationType: number;
  userID: string;
  groupID: string;
  isPinned: boolean;
  attachedInfo: string;
  isPrivateChat: boolean;
  groupAtType: number;
  ex: string;
  burnDuration: number;
  minSeq: number;
  maxSeq: number;
  msgDestructTime: number;
  latestMsgDestructTime: number;
  isMsgDestruct: boolean;
}

export type ConversationPatch = Partial<Omit<ConversationRecord, 'ownerUserID' | 'conversationID'>>;

export class ConversationStore {
  readonly #byOwner = new Map<string, Map<string, ConversationRecord>>();
  readonly #logs = new Map<string, VersionLog>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  log(ownerUserID: string): VersionLog {
    let log = this.#logs.get(ownerUserID);
    if (log === undefined) {
      log = new VersionLog(newVersionID(this.#now()));
      this.#logs.set(ownerUserID, log);
    }
    return log;
  }

  /** Creates the record if the owner has none; true when it did. */
  ensure(ownerUserID: string, conversationID: string, kind: { conversationType: number; userID?: string; groupID?: string }): boolean {
    let owned = this.#byOwner.get(ownerUserID);
    if (owned === undefined) {
      owned = new Map();
      this.#byOwner.set(ownerUserID, owned);
    }
    if (owned.has(conversationID)) return false;
    owned.set(conversationID, {
      ownerUserID,
      conversationID,
      recvMsgOpt: 0,
      conversationType: kind.conversationType,
      userID: kind.userID ?? '',
      groupID: kind.groupID ?? '',
      isPinned: false,
      attachedInfo: '',
      isPrivateChat: false,
      groupAtType: 0,
      ex: '',
      burnDuration: 0,
      minSeq: 0,
      maxSeq: 0,
      msgDestructTime: 0,
      latestMsgDestructTime: 0,
      isMsgDestruct: false,
    });
    this.log(ownerUserID).record(conversationID, 'insert');
    return true;
  }

  get(ownerUserID: string, conversationID: string): ConversationRecord | undefined {
    return this.#byOwner.get(ownerUserID)?.get(conversationID);
  }

  /** In creation order. */
  list(ownerUserID: string): ConversationRecord[] {
    return [...(this.#byOwner.get(ownerUserID)?.values() ?? [])];
  }

  ids(ownerUserID: string): string[] {
    return [...(this.#byOwner.get(ownerUserID)?.keys() ?? [])];
  }

  update(ownerUserID: string, conversationID: string, patch: ConversationPatch): void {
    const record = this.get(ownerUserID, conversationID);
    if (record === undefined) return;
    Object.assign(record, patch);
    this.log(ownerUserID).record(conversationID, 'update');
  }
}
