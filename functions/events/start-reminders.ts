/**
 * Starts the reminders workflow of each booked appointment version, on AppointmentBooked (a
 * plain booking, or a hold confirmed after pre-screening) and AppointmentRescheduled. The
 * execution is named `<appointmentId>-v<version>`, so a re-delivered event starts nothing new.
 * A failure to start throws: EventBridge retries, then parks the event in the DLQ — unlike the
 * request path this replaced, a booking cannot silently end up without reminders.
 */
import { isEvent } from "@carebook/core/events/bus";
import { eventHandler } from "../lib/event-handler";
import { logger } from "../lib/logger";
import { startReminders } from "../lib/workflows";

export const handler = eventHandler(async (event) => {
  if (!isEvent(event, "AppointmentBooked") && !isEvent(event, "AppointmentRescheduled")) {
    logger.warn("not an event this consumer handles", { type: event.type });
    return;
  }
  await startReminders(event.appointmentId, event.detail.version);
});
