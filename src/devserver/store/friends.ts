/**
 * Friend relations and friend applications, as the real relation service keeps them:
 * a friendship is one record per direction (owner → friend), each owner's list has its
 * own version log (what `get_incremental_friends` answers from), and an application is
 * one record per (from, to) pair that a new application overwrites.
 *
 * Sending messages does not depend on any of this (the real server's `friendVerify` is
 * off by default): friendships only matter to the core's friend list and its events.
 */
import { VersionLog, newVersionID } from './version-log.ts';

export interface FriendRecord {
  ownerUserID: string;
  friendUserID: string;
  remark: string;
  /** Epoch ms. */
  createTime: number;
  addSource: number;
  operatorUserID: string;
  ex: string;
  isPinned: boolean;
}

export interface FriendRequestRecord {
  fromUserID: string;
  toUserID: string;
  /** 0 pending, 1 agreed, -1 refused. */
  handleResult: number;
  reqMsg: string;
  /** Epoch ms. */
  createTime: number;
  handlerUserID: string;
  handleMsg: string;
  /** Epoch ms; 0 until handled. */
  handleTime: number;
  ex: string;
}

export interface BlackRecord {
  ownerUserID: string;
  blockUserID: string;
  /** Epoch ms. */
  createTime: number;
  addSource: number;
  operatorUserID: string;
  ex: string;
}

export type FriendPatch = Partial<Pick<FriendRecord, 'remark' | 'isPinned' | 'ex'>>;

export const FriendResponse = { notHandled: 0, agree: 1, refuse: -1 } as const;

/** How a friendship came about (protocol constants). */
export const BecomeFriendBy = { import: 1, apply: 2 } as const;

function requestKey(fromUserID: string, toUserID: string): string {
  // NUL cannot occur in a userID the API accepts, so the pair cannot collide.
  return `${fromUserID}\u0000${toUserID}`;
}

export class FriendStore {
  readonly #logs = new Map<string, VersionLog>();
  /** owner → friend → record, in creation order. */
  readonly #friends = new Map<string, Map<string, FriendRecord>>();
  readonly #requests = new Map<string, FriendRequestRecord>();
  /** owner → blocked user → record, in creation order. */
  readonly #blacks = new Map<string, Map<string, BlackRecord>>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  log(userID: string): VersionLog {
    let log = this.#logs.get(userID);
    if (log === undefined) {
      log = new VersionLog(newVersionID(this.#now()));
      this.#logs.set(userID, log);
    }
    return log;
  }

  isFriend(ownerUserID: string, friendUserID: string): boolean {
    return this.#friends.get(ownerUserID)?.has(friendUserID) ?? false;
  }

  get(ownerUserID: string, friendUserID: string): FriendRecord | undefined {
    return this.#friends.get(ownerUserID)?.get(friendUserID);
  }

  /** The owner's friends, pinned ones first, otherwise oldest first (the real sort). */
  list(ownerUserID: string): FriendRecord[] {
    const all = [...(this.#friends.get(ownerUserID)?.values() ?? [])];
    return [...all.filter((f) => f.isPinned), ...all.filter((f) => !f.isPinned)];
  }

  friendIDs(ownerUserID: string): string[] {
    return this.list(ownerUserID).map((f) => f.friendUserID);
  }

  /** Adds owner → friend unless it exists; true when it was added. */
  add(record: Omit<FriendRecord, 'createTime'>): boolean {
    let owned = this.#friends.get(record.ownerUserID);
    if (owned === undefined) {
      owned = new Map();
      this.#friends.set(record.ownerUserID, owned);
    }
    if (owned.has(record.friendUserID)) return false;
    owned.set(record.friendUserID, { ...record, createTime: this.#now() });
    this.log(record.ownerUserID).record(record.friendUserID, 'insert');
    return true;
  }

  /** Removes owner → friend; the deletion is logged either way, as the real store does. */
  delete(ownerUserID: string, friendUserID: string): void {
    this.#friends.get(ownerUserID)?.delete(friendUserID);
    this.log(ownerUserID).record(friendUserID, 'delete');
  }

  /** Changes owner → friend (remark, pin, ex); undefined when they are not friends. */
  update(ownerUserID: string, friendUserID: string, patch: FriendPatch): FriendRecord | undefined {
    const friend = this.#friends.get(ownerUserID)?.get(friendUserID);
    if (friend === undefined) return undefined;
    Object.assign(friend, patch);
    this.log(ownerUserID).record(friendUserID, 'update');
    return friend;
  }

  /** The friend's own profile changed: owners who sync their friends see an update. */
  touch(ownerUserID: string, friendUserID: string): void {
    if (this.isFriend(ownerUserID, friendUserID)) this.log(ownerUserID).record(friendUserID, 'update');
  }

  /** Owners who have the user as a friend. */
  ownersOf(friendUserID: string): string[] {
    const out: string[] = [];
    for (const [owner, friends] of this.#friends) if (friends.has(friendUserID)) out.push(owner);
    return out;
  }

  isBlack(ownerUserID: string, blockUserID: string): boolean {
    return this.#blacks.get(ownerUserID)?.has(blockUserID) ?? false;
  }

  /** The owner's black list, oldest first. */
  blacks(ownerUserID: string): BlackRecord[] {
    return [...(this.#blacks.get(ownerUserID)?.values() ?? [])];
  }

  black(ownerUserID: string, blockUserID: string): BlackRecord | undefined {
    return this.#blacks.get(ownerUserID)?.get(blockUserID);
  }

  /** Blocks (or re-blocks, keeping the first record) the user. */
  addBlack(record: Omit<BlackRecord, 'createTime'>): void {
    let owned = this.#blacks.get(record.ownerUserID);
    if (owned === undefined) {
      owned = new Map();
      this.#blacks.set(record.ownerUserID, owned);
    }
    if (!owned.has(record.blockUserID)) owned.set(record.blockUserID, { ...record, createTime: this.#now() });
  }

  removeBlack(ownerUserID: string, blockUserID: string): void {
    const owned = this.#blacks.get(ownerUserID);
    owned?.delete(blockUserID);
    if (owned?.size === 0) this.#blacks.delete(ownerUserID);
  }

  request(fromUserID: string, toUserID: string): FriendRequestRecord | undefined {
    return this.#requests.get(requestKey(fromUserID, toUserID));
  }

  /** A new application, or a repeated one that resets the earlier one to pending. */
  apply(fromUserID: string, toUserID: string, reqMsg: string, ex: string): FriendRequestRecord {
    const key = requestKey(fromUserID, toUserID);
    const existing = this.#requests.get(key);
    const now = this.#now();
    if (existing !== undefined) {
      Object.assign(existing, { handleResult: FriendResponse.notHandled, handleMsg: '', reqMsg, ex, createTime: now });
      return existing;
    }
    const created: FriendRequestRecord = {
      fromUserID,
      toUserID,
      handleResult: FriendResponse.notHandled,
      reqMsg,
      createTime: now,
      handlerUserID: '',
      handleMsg: '',
      handleTime: 0,
      ex,
    };
    this.#requests.set(key, created);
    return created;
  }

  /** Records the answer on a pending application. */
  handle(request: FriendRequestRecord, handleResult: number, handlerUserID: string, handleMsg: string): void {
    request.handleResult = handleResult;
    // Empty values leave the stored ones, as the real partial update does.
    if (handlerUserID !== '') request.handlerUserID = handlerUserID;
    if (handleMsg !== '') request.handleMsg = handleMsg;
    request.handleTime = this.#now();
  }

  /** Applications to (or from) the user, newest first, optionally only those with the given results. */
  requests(side: 'to' | 'from', userID: string, handleResults: readonly number[]): FriendRequestRecord[] {
    const out: FriendRequestRecord[] = [];
    for (const r of this.#requests.values()) {
      if ((side === 'to' ? r.toUserID : r.fromUserID) !== userID) continue;
      if (handleResults.length > 0 && !handleResults.includes(r.handleResult)) continue;
      out.push(r);
    }
    // Stable, so applications made within the same millisecond keep their order reversed too.
    return out.reverse().sort((a, b) => b.createTime - a.createTime);
  }
}
