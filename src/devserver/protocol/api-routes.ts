/**
 * The real API's POST routes (open-im-server v3.8.3 `internal/api/router.go`), grouped as
 * there. The dev server implements the ones the core needs; the rest answer
 * ServerInternalError saying so, instead of the 404 an unknown path gets, so that a
 * client hitting them learns what is missing rather than that it mistyped.
 */

const GROUPS = {
  user: [
    'user_register', 'update_user_info', 'update_user_info_ex', 'set_global_msg_recv_opt', 'get_users_info',
    'get_all_users_uid', 'account_check', 'get_users', 'get_users_online_status', 'get_users_online_token_detail',
    'subscribe_users_status', 'get_users_status', 'get_subscribe_users_status', 'process_user_command_add',
    'process_user_command_delete', 'process_user_command_update', 'process_user_command_get',
    'process_user_command_get_all', 'add_notification_account', 'update_notification_account',
    'search_notification_account',
  ],
  friend: [
    'delete_friend', 'get_friend_apply_list', 'get_designated_friend_apply', 'get_self_friend_apply_list',
    'get_friend_list', 'get_designated_friends', 'add_friend', 'add_friend_response', 'set_friend_remark',
    'add_black', 'get_black_list', 'get_specified_blacks', 'remove_black', 'get_incremental_blacks',
    'import_friend', 'is_friend', 'get_friend_id', 'get_specified_friends_info', 'update_friends',
    'get_incremental_friends', 'get_full_friend_user_ids', 'get_self_unhandled_apply_count',
  ],
  group: [
    'create_group', 'set_group_info', 'set_group_info_ex', 'join_group', 'quit_group', 'group_application_response',
    'transfer_group', 'get_recv_group_applicationList', 'get_user_req_group_applicationList',
    'get_group_users_req_application_list', 'get_specified_user_group_request_info', 'get_groups_info',
    'kick_group', 'get_group_members_info', 'get_group_member_list', 'invite_user_to_group',
    'get_joined_group_list', 'dismiss_group', 'mute_group_member', 'cancel_mute_group_member', 'mute_group',
    'cancel_mute_group', 'set_group_member_info', 'get_group_abstract_info', 'get_groups',
    'get_group_member_user_id', 'get_incremental_join_groups', 'get_incremental_group_members',
    'get_incremental_group_members_batch', 'get_full_group_member_user_ids', 'get_full_join_group_ids',
    'get_group_application_unhandled_count',
  ],
  auth: ['get_admin_token', 'get_user_token', 'parse_token', 'force_logout'],
  third: ['fcm_update_token', 'set_app_badge', 'logs/upload', 'logs/delete', 'logs/search'],
  object: [
    'part_limit', 'part_size', 'initiate_multipart_upload', 'auth_sign', 'complete_multipart_upload',
    'access_url', 'initiate_form_data', 'complete_form_data',
  ],
  msg: [
    'newest_seq', 'search_msg', 'send_msg', 'send_business_notification', 'pull_msg_by_seq', 'revoke_msg',
    'mark_msgs_as_read', 'mark_conversation_as_read', 'get_conversations_has_read_and_max_seq',
    'set_conversation_has_read_seq', 'clear_conversation_msg', 'user_clear_all_msg', 'delete_msgs',
    'delete_msg_phsical_by_seq', 'delete_msg_physical', 'batch_send_msg', 'check_msg_is_send_success',
    'get_server_time',
  ],
  conversation: [
    'get_sorted_conversation_list', 'get_all_conversations', 'get_conversation', 'get_conversations',
    'set_conversations', 'get_conversation_offline_push_user_ids', 'get_full_conversation_ids',
    'get_incremental_conversations', 'get_owner_conversation', 'get_not_notify_conversation_ids',
    'get_pinned_conversation_ids',
  ],
  statistics: ['user/register', 'user/active', 'group/create', 'group/active'],
  jssdk: ['get_conversations', 'get_active_conversations'],
} as const;

export const REAL_API_ROUTES: ReadonlySet<string> = new Set(
  Object.entries(GROUPS).flatMap(([group, paths]) => paths.map((p) => `/${group}/${p}`)),
);

/** Paths (prefixes, as the real middleware compares them) that need no `token` header. */
export const TOKEN_WHITELIST: readonly string[] = ['/auth/get_admin_token', '/auth/parse_token'];
