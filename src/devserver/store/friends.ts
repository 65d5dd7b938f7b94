/**
 * Friend relations: the dev server has none (anyone may message anyone, as with the real
 * server's default `friendVerify: false`), but the core syncs the friend list at every
 * login, so each user gets an empty, versioned list.
 */
import { VersionLog, newVersionID } from './version-log.ts';

export class FriendStore {
  readonly #logs = new Map<string, VersionLog>();
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
}
