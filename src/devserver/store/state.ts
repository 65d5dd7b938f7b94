/**
 * Everything the dev server knows, in one place, in memory. Nothing persists: a restart
 * starts from the admin account alone.
 */
import { AuthService } from '../auth/auth-service.ts';
import { AppManagerLevel } from '../protocol/constants.ts';
import { ConversationStore } from './conversations.ts';
import { FriendStore } from './friends.ts';
import { GroupStore } from './groups.ts';
import { MessageStore } from './messages.ts';
import { UserStore } from './users.ts';

export interface StateConfig {
  readonly secret: string;
  readonly tokenTtlSeconds: number;
  readonly adminUserIDs: readonly string[];
  readonly now: () => number;
}

export class DevState {
  readonly now: () => number;
  readonly auth: AuthService;
  readonly users = new UserStore();
  readonly conversations: ConversationStore;
  readonly messages = new MessageStore();
  readonly groups: GroupStore;
  readonly friends: FriendStore;

  constructor(config: StateConfig) {
    this.now = config.now;
    this.auth = new AuthService(config);
    this.conversations = new ConversationStore(config.now);
    this.groups = new GroupStore(config.now);
    this.friends = new FriendStore(config.now);
    // The real server registers its admin accounts at start-up, named after themselves.
    for (const userID of config.adminUserIDs) {
      this.users.add({
        userID,
        nickname: userID,
        faceURL: '',
        ex: '',
        createTime: config.now(),
        appMangerLevel: AppManagerLevel.notificationAdmin,
        globalRecvMsgOpt: 0,
      });
    }
  }
}
