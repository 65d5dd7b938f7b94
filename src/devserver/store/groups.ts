/**
 * Groups and their members, with the two version logs the client syncs from: each
 * user's joined groups, and each group's members.
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
  muteEndTime: number;
  inviterUserID: string;
}

export class GroupStore {
  readonly #groups = new Map<string, GroupRecord>();
  readonly #members = new Map<string, Map<string, MemberRecord>>();
  readonly #joined = new Map<string, Set<string>>();
  readonly #memberLogs = new Map<string, VersionLog>();
  readonly #joinLogs = new Map<string, VersionLog>();
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
    const byUser = new Map<string, MemberRecord>();
    this.#members.set(group.groupID, byUser);
    for (const member of members) {
      byUser.set(member.userID, { ...member });
      this.memberLog(group.groupID).record(member.userID, 'insert');
      let joined = this.#joined.get(member.userID);
      if (joined === undefined) {
        joined = new Set();
        this.#joined.set(member.userID, joined);
      }
      joined.add(group.groupID);
      this.joinLog(member.userID).record(group.groupID, 'insert');
    }
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

  /** In join order. */
  joinedGroupIDs(userID: string): string[] {
    return [...(this.#joined.get(userID) ?? [])];
  }
}
