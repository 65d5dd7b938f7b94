/**
 * Client 3.5.2 reads some results in the v3.5 shapes (user items with public, friend, black
 * and member parts); the 3.8 core returns flat records spread over several functions. The
 * reshapers put them together from the main result and its companion calls' results.
 */
import { protocolError, type ProtocolError } from '../error-codes.ts';
import { isPlainObject } from './arguments.ts';
import type { CorePlan, ResultShape } from './rules.ts';

/** `companions`: the companion calls' results in the row's order (undefined for one that failed). */
type Reshaper = (result: unknown, companions: readonly unknown[]) => unknown[] | undefined;

/** Client 3.5.2 expects the v3.5.1 shapes for these; the 3.8 core returns flat records. */
const RESHAPERS: Readonly<Record<ResultShape, Reshaper>> = {
  // getFriendList / getSpecifiedFriendsInfo, with the black list as companion 0.
  fullUserItems: (result, [blacks]) => {
    const blackOf = recordsByID(blacks, 'userID', 'blockUserID');
    return eachRecord(result, (friend) => {
      if ('friendInfo' in friend) return friend;
      const userID = friendUserID(friend);
      return {
        publicInfo: {
          userID,
          nickname: stringField(friend, 'nickname'),
          faceURL: stringField(friend, 'faceURL'),
          ex: stringField(friend, 'ex'),
        },
        friendInfo: { ...friend, userID },
        blackInfo: blackView(blackOf.get(userID)),
      };
    });
  },
  // getUsersInfo, with the friend records (0), the black list (1) and, for a groupID, its members (2).
  fullUserItemsWithCache: (result, [friends, blacks, members]) => {
    const friendOf = recordsByID(friends, 'userID', 'friendUserID');
    const blackOf = recordsByID(blacks, 'userID', 'blockUserID');
    const memberOf = recordsByID(members, 'userID');
    return eachRecord(result, (user) => {
      if ('publicInfo' in user) return user;
      const userID = stringField(user, 'userID');
      const friend = friendOf.get(userID);
      return {
        publicInfo: user,
        friendInfo: friend === undefined ? null : { ...friend, userID },
        blackInfo: blackView(blackOf.get(userID)),
        groupMemberInfo: memberOf.get(userID) ?? null,
      };
    });
  },
};

/** LocalFriend's JSON names the friend `userID`; the Go field name is accepted as well. */
function friendUserID(friend: Record<string, unknown>): string {
  return stringField(friend, 'userID') || stringField(friend, 'friendUserID');
}

/** A black record as client 3.5.2 reads it: the blocked user is `userID` (LocalBlack's JSON name; the Go name is accepted too). */
function blackView(black: Record<string, unknown> | undefined): Record<string, unknown> | null {
  return black === undefined ? null : { ...black, userID: stringField(black, 'userID') || stringField(black, 'blockUserID') };
}

/** A companion's record list by the first of `keys` that holds an ID; empty when it failed. */
function recordsByID(list: unknown, ...keys: string[]): Map<string, Record<string, unknown>> {
  const byID = new Map<string, Record<string, unknown>>();
  if (!Array.isArray(list)) return byID;
  for (const record of list) {
    if (!isPlainObject(record)) continue;
    const id = keys.map((k) => stringField(record, k)).find((v) => v !== '');
    if (id !== undefined && !byID.has(id)) byID.set(id, record);
  }
  return byID;
}

function eachRecord(result: unknown, map: (record: Record<string, unknown>) => unknown): unknown[] | undefined {
  if (result === null) return []; // Go's nil slice
  if (!Array.isArray(result) || !result.every(isPlainObject)) return undefined;
  return result.map(map);
}

function stringField(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  return typeof value === 'string' ? value : '';
}

export function reshapeResult(plan: CorePlan, shape: ResultShape, text: string, companions: readonly unknown[]): { data: string } | ProtocolError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const reshaped = parsed === undefined ? undefined : RESHAPERS[shape](parsed, companions);
  if (reshaped === undefined) {
    return protocolError('SdkInternalError', `${plan.reqFuncName}: ${plan.fn} answered in an unexpected shape`);
  }
  return { data: JSON.stringify(reshaped) };
}
