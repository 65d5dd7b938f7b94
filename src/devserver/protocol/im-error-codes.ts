/**
 * The IM server's error codes and the names it puts in `errMsg`, as one table
 * (docs/im-server.md#error-codes; open-im-server `pkg/common/servererrs`, tools `errs`).
 *
 * The dev server answers with exactly these pairs so that a client, or our own gateway,
 * cannot tell it from the real server by the error alone. `errDlt` is free text.
 */
import { errorText } from '../../shared/error-text.ts';

export const IM_ERRORS = {
  ServerInternalError: 500,
  ArgsError: 1001,
  NoPermissionError: 1002,
  DuplicateKeyError: 1003,
  RecordNotFoundError: 1004,
  UserIDNotFoundError: 1101,
  RegisteredAlreadyError: 1102,
  GroupIDNotFoundError: 1201,
  GroupIDExisted: 1202,
  NotInGroupYetError: 1203,
  DismissedAlreadyError: 1204,
  GroupRequestHandled: 1206,
  CanNotAddYourselfError: 1301,
  BlockedByPeer: 1302,
  NotPeersFriend: 1303,
  RelationshipAlreadyError: 1304,
  MutedInGroup: 1402,
  MutedGroup: 1403,
  MsgAlreadyRevoke: 1404,
  TokenExpiredError: 1501,
  TokenInvalidError: 1502,
  TokenMalformedError: 1503,
  TokenNotValidYetError: 1504,
  TokenUnknownError: 1505,
  TokenKickedError: 1506,
  TokenNotExistError: 1507,
  ConnOverMaxNumLimit: 1601,
  ConnArgsErr: 1602,
  FileUploadedExpiredError: 1701,
} as const;

export type ImErrorName = keyof typeof IM_ERRORS;

/**
 * errMsg per name. Almost always the name itself; the gateway's argument error is the
 * one the real server spells as a sentence.
 */
const MESSAGES: Partial<Record<ImErrorName, string>> = {
  ConnArgsErr: 'args err, need token, sendID, platformID',
};

export function imErrorMessage(name: ImErrorName): string {
  return MESSAGES[name] ?? name;
}

/** Thrown by handlers; the HTTP layer and the WS gateway turn it into `{errCode, errMsg, errDlt}`. */
export class ImError extends Error {
  readonly code: number;
  readonly errMsg: string;
  readonly detail: string;

  constructor(name: ImErrorName, detail = '', errMsg?: string) {
    super(detail === '' ? name : `${name}: ${detail}`);
    this.name = 'ImError';
    this.code = IM_ERRORS[name];
    this.errMsg = errMsg ?? imErrorMessage(name);
    this.detail = detail;
  }
}

/** What an envelope or a WS reply carries for an error. */
export interface ErrorFields {
  errCode: number;
  errMsg: string;
  errDlt: string;
}

/**
 * Anything a handler throws that is not an ImError is a dev-server bug; the real server
 * answers such errors with 500 and the error text as errMsg, and so do we.
 */
export function toErrorFields(err: unknown): ErrorFields {
  if (err instanceof ImError) return { errCode: err.code, errMsg: err.errMsg, errDlt: err.detail };
  return { errCode: IM_ERRORS.ServerInternalError, errMsg: errorText(err), errDlt: '' };
}
