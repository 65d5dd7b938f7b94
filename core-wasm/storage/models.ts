/**
 * The core's local tables (openim-sdk-core v3.8.3-patch.10, `pkg/db/model_struct`): gorm
 * column names and types, paired with the Go `json` tags the core reads and writes.
 * Column order is irrelevant to the core; PK order matters only for the DDL.
 */
import { boolean, idList, integer, text, type Model } from './model.ts';

export const USER: Model = {
  table: 'local_users',
  fields: [
    text('user_id', 'userID', 'varchar(64)'),
    text('name', 'nickname', 'varchar(255)'),
    text('face_url', 'faceURL', 'varchar(255)'),
    integer('create_time', 'createTime'),
    integer('app_manger_level', undefined),
    text('ex', 'ex', 'varchar(1024)'),
    text('attached_info', 'attachedInfo', 'varchar(1024)'),
    integer('global_recv_msg_opt', 'globalRecvMsgOpt'),
  ],
  primaryKey: ['user_id'],
};

export const FRIEND: Model = {
  table: 'local_friends',
  fields: [
    text('owner_user_id', 'ownerUserID', 'varchar(64)'),
    text('friend_user_id', 'userID', 'varchar(64)'),
    text('remark', 'remark', 'varchar(255)'),
    integer('create_time', 'createTime'),
    integer('add_source', 'addSource'),
    text('operator_user_id', 'operatorUserID', 'varchar(64)'),
    text('name', 'nickname', 'varchar(255)'),
    text('face_url', 'faceURL', 'varchar(255)'),
    text('ex', 'ex', 'varchar(1024)'),
    text('attached_info', 'attachedInfo', 'varchar(1024)'),
    boolean('is_pinned', 'isPinned'),
  ],
  primaryKey: ['owner_user_id', 'friend_user_id'],
};

/** `updateFriend` sends a different struct: the friend's ID is under `friendUserID`. */
export const FRIEND_UPDATE: Model = {
  ...FRIEND,
  fields: FRIEND.fields.map((f) => (f.column === 'friend_user_id' ? { ...f, key: 'friendUserID' } : f)),
};

export const BLACK: Model = {
  table: 'local_blacks',
  fields: [
    text('owner_user_id', 'ownerUserID', 'varchar(64)'),
    text('block_user_id', 'userID', 'varchar(64)'),
    text('nickname', 'nickname', 'varchar(255)'),
    text('face_url', 'faceURL', 'varchar(255)'),
    integer('create_time', 'createTime'),
    integer('add_source', 'addSource'),
    text('operator_user_id', 'operatorUserID', 'varchar(64)'),
    text('ex', 'ex', 'varchar(1024)'),
    text('attached_info', 'attachedInfo', 'varchar(1024)'),
  ],
  primaryKey: ['owner_user_id', 'block_user_id'],
};

export const GROUP: Model = {
  table: 'local_groups',
  fields: [
    text('group_id', 'groupID', 'varchar(64)'),
    text('name', 'groupName', 'varchar(255)'),
    text('notification', 'notification', 'varchar(255)'),
    text('introduction', 'introduction', 'varchar(255)'),
    text('face_url', 'faceURL', 'varchar(255)'),
    integer('create_time', 'createTime'),
    integer('status', 'status'),
    text('creator_user_id', 'creatorUserID', 'varchar(64)'),
    integer('group_type', 'groupType'),
    text('owner_user_id', 'ownerUserID', 'varchar(64)'),
    integer('member_count', 'memberCount'),
    text('ex', 'ex', 'varchar(1024)'),
    text('attached_info', 'attachedInfo', 'varchar(1024)'),
    integer('need_verification', 'needVerification'),
    integer('look_member_info', 'lookMemberInfo'),
    integer('apply_member_friend', 'applyMemberFriend'),
    integer('notification_update_time', 'notificationUpdateTime'),
    text('notification_user_id', 'notificationUserID', 'varchar(64)'),
  ],
  primaryKey: ['group_id'],
};

export const GROUP_MEMBER: Model = {
  table: 'local_group_members',
  fields: [
    text('group_id', 'groupID', 'varchar(64)'),
    text('user_id', 'userID', 'varchar(64)'),
    text('nickname', 'nickname', 'varchar(255)'),
    text('user_group_face_url', 'faceURL', 'varchar(255)'),
    integer('role_level', 'roleLevel'),
    integer('join_time', 'joinTime'),
    integer('join_source', 'joinSource'),
    text('inviter_user_id', 'inviterUserID', 'varchar(64)'),
    integer('mute_end_time', 'muteEndTime', 0),
    text('operator_user_id', 'operatorUserID', 'varchar(64)'),
    text('ex', 'ex', 'varchar(1024)'),
    text('attached_info', 'attachedInfo', 'varchar(1024)'),
  ],
  primaryKey: ['group_id', 'user_id'],
  indexes: [
    { name: 'index_role_level', columns: ['role_level'] },
    { name: 'index_join_time', columns: ['join_time'] },
  ],
};

export const CONVERSATION: Model = {
  table: 'local_conversations',
  fields: [
    text('conversation_id', 'conversationID', 'char(128)'),
    integer('conversation_type', 'conversationType'),
    text('user_id', 'userID', 'char(64)'),
    text('group_id', 'groupID', 'char(128)'),
    text('show_name', 'showName', 'varchar(255)'),
    text('face_url', 'faceURL', 'varchar(255)'),
    integer('recv_msg_opt', 'recvMsgOpt'),
    integer('unread_count', 'unreadCount'),
    integer('group_at_type', 'groupAtType'),
    text('latest_msg', 'latestMsg', 'varchar(1000)'),
    integer('latest_msg_send_time', 'latestMsgSendTime'),
    text('draft_text', 'draftText', 'text'),
    integer('draft_text_time', 'draftTextTime'),
    boolean('is_pinned', 'isPinned'),
    boolean('is_private_chat', 'isPrivateChat'),
    integer('burn_duration', 'burnDuration', 30),
    boolean('is_not_in_group', 'isNotInGroup'),
    integer('update_unread_count_time', 'updateUnreadCountTime'),
    text('attached_info', 'attachedInfo', 'varchar(1024)'),
    text('ex', 'ex', 'varchar(1024)'),
    integer('max_seq', 'maxSeq'),
    integer('min_seq', 'minSeq'),
    integer('msg_destruct_time', 'msgDestructTime', 604800),
    { ...boolean('is_msg_destruct', 'isMsgDestruct'), defaultValue: 0 },
  ],
  primaryKey: ['conversation_id'],
  indexes: [{ name: 'index_latest_msg_send_time', columns: ['latest_msg_send_time'] }],
};

/** Columns the core names in `updateColumnsConversation` maps (snake_case keys). */
export const CONVERSATION_UPDATABLE_COLUMNS: ReadonlySet<string> = new Set([
  'latest_msg',
  'latest_msg_send_time',
  'unread_count',
  'recv_msg_opt',
  'is_pinned',
  'is_private_chat',
  'burn_duration',
  'is_not_in_group',
  'group_at_type',
  'update_unread_count_time',
  'attached_info',
  'ex',
  'msg_destruct_time',
  'is_msg_destruct',
  'max_seq',
  'min_seq',
  // Not seen from this core, but plain columns of the same table.
  'show_name',
  'face_url',
  'draft_text',
  'draft_text_time',
]);

/** One per-conversation message table (`chat_logs_<conversationID>`), native DDL. */
export const MESSAGE: Model = {
  table: '',
  fields: [
    text('client_msg_id', 'clientMsgID', 'CHAR(64)'),
    text('server_msg_id', 'serverMsgID', 'CHAR(64)'),
    text('send_id', 'sendID', 'CHAR(64)'),
    text('recv_id', 'recvID', 'CHAR(64)'),
    integer('sender_platform_id', 'senderPlatformID'),
    text('sender_nick_name', 'senderNickname', 'VARCHAR(255)'),
    text('sender_face_url', 'senderFaceURL', 'VARCHAR(255)'),
    integer('session_type', 'sessionType'),
    integer('msg_from', 'msgFrom'),
    integer('content_type', 'contentType'),
    text('content', 'content', 'VARCHAR(1000)'),
    boolean('is_read', 'isRead'),
    integer('status', 'status'),
    integer('seq', 'seq', 0),
    integer('send_time', 'sendTime'),
    integer('create_time', 'createTime'),
    text('attached_info', 'attachedInfo', 'VARCHAR(1024)'),
    text('ex', 'ex', 'VARCHAR(1024)'),
    text('local_ex', 'localEx', 'VARCHAR(1024)'),
    { ...boolean('is_react', 'isReact'), inputOnly: true },
    { ...boolean('is_external_extensions', 'isExternalExtensions'), inputOnly: true },
    { ...integer('msg_first_modify_time', 'msgFirstModifyTime'), inputOnly: true },
  ],
  primaryKey: ['client_msg_id'],
};

/** Columns the core names in `updateColumnsMessage` maps. */
export const MESSAGE_UPDATABLE_COLUMNS: ReadonlySet<string> = new Set([
  'status',
  'local_ex',
  'attached_info',
  'is_read',
  'ex',
  'content',
  'server_msg_id',
  'send_time',
  'seq',
  'sender_nick_name',
  'sender_face_url',
]);

export const NOTIFICATION_SEQ: Model = {
  table: 'local_notification_seqs',
  fields: [text('conversation_id', 'conversationID', 'char(128)'), integer('seq', 'seq')],
  primaryKey: ['conversation_id'],
};

export const SENDING_MESSAGE: Model = {
  table: 'local_sending_messages',
  fields: [text('conversation_id', 'conversationID', 'char(128)'), text('client_msg_id', 'clientMsgID', 'char(64)'), text('ex', 'ex', 'varchar(1024)')],
  primaryKey: ['conversation_id', 'client_msg_id'],
};

export const VERSION_SYNC: Model = {
  table: 'local_sync_version',
  fields: [
    text('table_name', 'tableName', 'varchar(255)'),
    text('entity_id', 'entityID', 'varchar(255)'),
    text('version_id', 'versionID', 'text'),
    integer('version', 'version'),
    integer('create_time', 'createTime'),
    idList('id_list', 'uidList'),
  ],
  primaryKey: ['table_name', 'entity_id'],
};

export const APP_VERSION: Model = {
  table: 'local_app_sdk_version',
  fields: [text('version', 'version', 'varchar(255)'), boolean('installed', 'installed')],
  primaryKey: ['version'],
};

export const UPLOAD: Model = {
  table: 'local_uploads',
  fields: [
    text('part_hash', 'partHash', 'text'),
    text('upload_id', 'uploadID', 'varchar(1000)'),
    text('upload_info', 'uploadInfo', 'varchar(2000)'),
    integer('expire_time', 'expireTime'),
    integer('create_time', 'createTime'),
  ],
  primaryKey: ['part_hash'],
};

export const USER_COMMAND: Model = {
  table: 'local_user_command',
  fields: [
    text('user_id', 'userID', 'char(128)'),
    integer('type', 'type'),
    text('uuid', 'uuid', 'varchar(255)'),
    integer('create_time', 'createTime'),
    text('value', 'value', 'varchar(255)'),
    text('ex', 'ex', 'varchar(1024)'),
  ],
  primaryKey: ['user_id', 'type', 'uuid'],
};

export const CONVERSATION_UNREAD_MESSAGE: Model = {
  table: 'local_conversation_unread_messages',
  fields: [
    text('conversation_id', 'conversationID', 'char(128)'),
    text('client_msg_id', 'clientMsgID', 'char(64)'),
    integer('send_time', 'sendTime'),
    text('ex', 'ex', 'varchar(1024)'),
  ],
  primaryKey: ['conversation_id', 'client_msg_id'],
};

/** Every fixed table, created (and missing columns added) at each initDB. */
export const FIXED_MODELS: readonly Model[] = [
  USER,
  FRIEND,
  BLACK,
  GROUP,
  GROUP_MEMBER,
  CONVERSATION,
  NOTIFICATION_SEQ,
  SENDING_MESSAGE,
  VERSION_SYNC,
  APP_VERSION,
  UPLOAD,
  USER_COMMAND,
  CONVERSATION_UNREAD_MESSAGE,
];
