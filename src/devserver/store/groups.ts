/**
 * Groups, their members and the applications to join them, with the two version logs the
 * client syncs from: each user's joined groups, and each group's members. A change to the
 * group itself is logged in its member log under the empty ID, as the real store does, so
 * a member sync that sees it also gets the group's new info.
 */
import { GroupRole } from '../protocol/constants.ts';
import { VersionLog, newVersionID } from './version-log.ts';

export interface GroupRecord {
  groupID: string;
  groupName: string;
  notification: string;
  introduction: string;
  faceURL: string;
  /** Epoch ms. */
  createTime: number;
  ex: string;
  status: number;
  creatorUserID: string;
  groupType: number;
  needVerification: number;
  lookMemberInfo: number;
  applyMemberFriend: number;
  notificationUpdateTime: number;
  notificationUserID: string;
}

export type GroupPatch = Partial<Omit<GroupRecord, 'groupID' | 'createTime' | 'creatorUserID' | 'groupType'>>;

export interface MemberRecord {
  groupID: string;
  userID: string;
  roleLevel: number;
  /** Epoch ms. */
  joinTime: number;
  /** Empty: the user's own nickname/face are shown (filled in when answering). */
  nickname: string;
  faceURL: string;
  joinSource: number;
  operatorUserID: string;
  ex: string;
  /** Epoch ms; 0 when not muted. */
  muteEndTime: number;
  inviterUserID: string;
}

export type MemberPatch = Partial<Pick<MemberRecord, 'roleLevel' | 'nickname' | 'faceURL' | 'ex' | 'muteEndTime'>>;

/** One application (or invitation needing approval) of a user to a group; a new one replaces the last. */
export interface GroupRequestRecord {
  groupID: string;
  userID: string;
  /** 0 pending, 1 accepted, -1 refused. */
  handleResult: number;
  reqMsg: string;
  handledMsg: string;
  /** Epoch ms. */
  reqTime: number;
  handleUserID: string;
  /** Epoch ms; 0 until handled. */
  handledTime: number;
  ex: string;
  joinSource: number;
  inviterUserID: string;
}

/** The empty member ID stands for "the group's own info changed". */
const GROUP_INFO_ELEMENT = '';

function requestKey(groupID: string, userID: string): string {
  // NUL cannot occur in an ID the API accepts, so the pair cannot collide.
  return `${groupID}\u0000${userID}`;
}

export class GroupStore {
  readonly #groups = new Map<string, GroupRecord>();
  readonly #members = new Map<string, Map<string, MemberRecord>>();
  readonly #joined = new Map<string, Set<string>>();
  readonly #memberLogs = new Map<string, VersionLog>();
  readonly #joinLogs = new Map<string, VersionLog>();
  readonly #requests = new Map<string, GroupRequestRecord>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  #logFor(logs: Map<string, VersionLog>, key: string): VersionLog {
    let log = logs.get(key);
    if (log === undefined) {
      log = new VersionLog(newVersionID(this.#now()));
      logs.set(key, log);
    }
    return log;
  }

  /** The group's member list log. */
  memberLog(groupID: string): VersionLog {
    return this.#logFor(this.#memberLogs, groupID);
  }

  /** The user's joined-group list log. */
  joinLog(userID: string): VersionLog {
    return this.#logFor(this.#joinLogs, userID);
  }

  has(groupID: string): boolean {
    return this.#groups.has(groupID);
  }

  get(groupID: string): GroupRecord | undefined {
    return this.#groups.get(groupID);
  }

  create(group: GroupRecord, members: readonly MemberRecord[]): void {
    this.#groups.set(group.groupID, { ...group });
    this.#members.set(group.groupID, new Map());
    this.addMembers(group.groupID, members);
  }

  /** Changes the group's own fields; logged for member syncs (which then carry the group). */
  updateGroup(groupID: string, patch: GroupPatch): GroupRecord | undefined {
    const group = this.#groups.get(groupID);
    if (group === undefined) return undefined;
    Object.assign(group, patch);
    this.memberLog(groupID).record(GROUP_INFO_ELEMENT, 'update');
    return group;
  }

  addMembers(groupID: string, members: readonly MemberRecord[]): void {
    const byUser = this.#members.get(groupID);
    if (byUser === undefined) return;
    for (const member of members) {
      byUser.set(member.userID, { ...member });
      this.memberLog(groupID).record(member.userID, 'insert');
      let joined = this.#joined.get(member.userID);
      if (joined === undefined) {
        joined = new Set();
        this.#joined.set(member.userID, joined);
      }
      joined.add(groupID);
      this.joinLog(member.userID).record(groupID, 'insert');
    }
  }

  /** Removes the members; returns the records that were there. */
  removeMembers(groupID: string, userIDs: readonly string[]): MemberRecord[] {
    const byUser = this.#members.get(groupID);
    const removed: MemberRecord[] = [];
    for (const userID of userIDs) {
      const member = byUser?.get(userID);
      if (member === undefined) continue;
      byUser?.delete(userID);
      removed.push(member);
      this.memberLog(groupID).record(userID, 'delete');
      const joined = this.#joined.get(userID);
      joined?.delete(groupID);
      if (joined?.size === 0) this.#joined.delete(userID);
      this.joinLog(userID).record(groupID, 'delete');
    }
    return removed;
  }

  updateMember(groupID: string, userID: string, patch: MemberPatch): MemberRecord | undefined {
    const member = this.#members.get(groupID)?.get(userID);
    if (member === undefined) return undefined;
    Object.assign(member, patch);
    this.memberLog(groupID).record(userID, 'update');
    return member;
  }

  /** In join order. */
  members(groupID: string): MemberRecord[] {
    return [...(this.#members.get(groupID)?.values() ?? [])];
  }

  memberIDs(groupID: string): string[] {
    return [...(this.#members.get(groupID)?.keys() ?? [])];
  }

  member(groupID: string, userID: string): MemberRecord | undefined {
    return this.#members.get(groupID)?.get(userID);
  }

  owner(groupID: string): MemberRecord | undefined {
    return this.members(groupID).find((m) => m.roleLevel === GroupRole.owner);
  }

  /** Owner and admins, in join order. */
  managers(groupID: string): MemberRecord[] {
    return this.members(groupID).filter((m) => m.roleLevel === GroupRole.owner || m.roleLevel === GroupRole.admin);
  }

  /** In join order. */
  joinedGroupIDs(userID: string): string[] {
    return [...(this.#joined.get(userID) ?? [])];
  }

  /** Groups the user owns or administers. */
  managedGroupIDs(userID: string): string[] {
    return this.joinedGroupIDs(userID).filter((groupID) => {
      const role = this.member(groupID, userID)?.roleLevel;
      return role === GroupRole.owner || role === GroupRole.admin;
    });
  }

  request(groupID: string, userID: string): GroupRequestRecord | undefined {
    return this.#requests.get(requestKey(groupID, userID));
  }

  putRequest(request: GroupRequestRecord): void {
    const key = requestKey(request.groupID, request.userID);
    // Re-inserted so that iteration order stays "oldest first".
    this.#requests.delete(key);
    this.#requests.set(key, { ...request });
  }

  /** Applications matching the filter, newest first. */
  requests(filter: (r: GroupRequestRecord) => boolean): GroupRequestRecord[] {
    return [...this.#requests.values()].filter(filter).reverse();
  }
}
