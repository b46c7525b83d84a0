/**
 * The notification consumer: turns appointment and pre-screening events into messages to the
 * patient on their preferred channels (packages/core/src/notifications/messages.ts), and
 * escalations into alerts to the clinic's staff (notifications/staff-alerts.ts) — once per event
 * and recipient. A message that must wait (quiet hours) or be retried is left to the dispatcher
 * (dispatch-notifications.ts). Patients' outcomes feed the admin metrics.
 */
import { notifyForEvent } from "@carebook/core/notifications/messages";
import { alertStaffForEvent } from "@carebook/core/notifications/staff-alerts";
import { channelAdapters } from "../lib/channels/index";
import { dynamo } from "../lib/env";
import { eventHandler } from "../lib/event-handler";
import { deliveryRecorder } from "../lib/notifications";

export const handler = eventHandler(async (event) => {
  const { db } = dynamo();
  const options = { senders: channelAdapters(), now: Date.now, onOutcome: deliveryRecorder(db) };
  // Each returns [] for the events that are not its own.
  await notifyForEvent(db, event, options);
  await alertStaffForEvent(db, event, options);
});
