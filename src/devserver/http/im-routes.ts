/** Every API path the dev server serves, by path. */
import type { ApiHandler } from './context.ts';
import { AUTH_HANDLERS } from './handlers/auth.ts';
import { CONVERSATION_HANDLERS } from './handlers/conversation.ts';
import { FRIEND_HANDLERS } from './handlers/friend.ts';
import { GROUP_HANDLERS } from './handlers/group.ts';
import { GROUP_MEMBER_HANDLERS } from './handlers/group-members.ts';
import { GROUP_SETTING_HANDLERS } from './handlers/group-settings.ts';
import { MSG_HANDLERS } from './handlers/msg.ts';
import { OBJECT_HANDLERS } from './handlers/object.ts';
import { USER_HANDLERS } from './handlers/user.ts';

export const API_ROUTES: ReadonlyMap<string, ApiHandler> = new Map(
  Object.entries({
    ...AUTH_HANDLERS,
    ...USER_HANDLERS,
    ...FRIEND_HANDLERS,
    ...GROUP_HANDLERS,
    ...GROUP_MEMBER_HANDLERS,
    ...GROUP_SETTING_HANDLERS,
    ...CONVERSATION_HANDLERS,
    ...MSG_HANDLERS,
    ...OBJECT_HANDLERS,
  }),
);
