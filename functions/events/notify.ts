/**
 * The notification consumer: turns appointment and pre-screening events into messages to the
 * patient on their preferred channels (packages/core/src/notifications/messages.ts), once per
 * event. A message that must wait (quiet hours) or be retried is left to the dispatcher
 * (dispatch-notifications.ts). Outcomes feed the admin metrics.
 */
import { notifyForEvent } from "@carebook/core/notifications/messages";
import { channelAdapters } from "../lib/channels/index";
import { dynamo } from "../lib/env";
import { eventHandler } from "../lib/event-handler";
import { deliveryRecorder } from "../lib/notifications";

export const handler = eventHandler(async (event) => {
  const { db } = dynamo();
  await notifyForEvent(db, event, { senders: channelAdapters(), now: Date.now, onOutcome: deliveryRecorder(db) });
});
