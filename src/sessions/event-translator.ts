import { forceCloseReason, parseCoreEvent, translateCoreEvent, type NewMessageMode } from '../protocol/events.ts';
import type { EventTranslation } from './user-session.ts';

/** Binds the protocol's event translation to the configured new-message mode. */
export function eventTranslator(mode: NewMessageMode): (json: string, userID: string) => EventTranslation {
  return (json, userID) => {
    const parsed = parseCoreEvent(json);
    if ('malformed' in parsed) return { envelopes: [], endsSession: false, coreEvent: undefined };
    return {
      envelopes: translateCoreEvent(json, mode, { userID }),
      endsSession: forceCloseReason(parsed.event) !== undefined,
      coreEvent: parsed.event,
    };
  };
}
