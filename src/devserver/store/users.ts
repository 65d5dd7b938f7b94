/** Registered users, in memory. */

export interface UserRecord {
  userID: string;
  nickname: string;
  faceURL: string;
  ex: string;
  /** Epoch ms. */
  createTime: number;
  appMangerLevel: number;
  globalRecvMsgOpt: number;
}

export class UserStore {
  readonly #users = new Map<string, UserRecord>();

  has(userID: string): boolean {
    return this.#users.has(userID);
  }

  get(userID: string): UserRecord | undefined {
    return this.#users.get(userID);
  }

  add(user: UserRecord): void {
    this.#users.set(user.userID, { ...user });
  }

  update(userID: string, patch: Partial<Omit<UserRecord, 'userID' | 'createTime'>>): UserRecord | undefined {
    const user = this.#users.get(userID);
    if (user === undefined) return undefined;
    Object.assign(user, patch);
    return user;
  }

  get size(): number {
    return this.#users.size;
  }
}
