/**
 * The fan-out: a bus consumer (functions/events/index.ts `pushConsumers.realtime`) that turns
 * each appointment event into WebSocket pushes — an `appointment` message to its patient and its
 * clinic's staff, a `slots` message to the viewers of each clinic-day it may have taken or freed
 * a slot on — posted through the management API (packages/core/src/realtime/delivery.ts).
 *
 * What it reads besides the event: the clinic's time zone (slot dates are clinic-local; kept
 * per container for a few minutes) and, for an event without the appointment's end (a
 * cancellation), the appointment's end.
 */
import { deliver } from "@carebook/core/realtime/delivery";
import { pushesFor, touchesSlots } from "@carebook/core/realtime/topics";
import type { Db } from "@carebook/core/entities/index";
import type { ReceivedEvent } from "@carebook/core/events/bus";
import { dynamo } from "../lib/env";
import { eventHandler } from "../lib/event-handler";
import { logger } from "../lib/logger";
import { postToConnection } from "../lib/websocket";

const TIME_ZONE_TTL_MS = 5 * 60_000;
const timeZones = new Map<string, { timeZone: string; until: number }>();

async function clinicTimeZone(db: Db, clinicId: string): Promise<string> {
  const cached = timeZones.get(clinicId);
  if (cached && cached.until > Date.now()) return cached.timeZone;
  const clinic = (await db.clinic.get({ clinicId }).go()).data;
  if (!clinic) throw new Error(`clinic ${clinicId} not found`);
  timeZones.set(clinicId, { timeZone: clinic.timeZone, until: Date.now() + TIME_ZONE_TTL_MS });
  return clinic.timeZone;
}

async function pushContext(db: Db, event: ReceivedEvent) {
  // An event that takes or frees no slot becomes no dated message: no time zone needed.
  if (!touchesSlots(event)) return { timeZone: "UTC" };
  const carriesEnd = typeof (event.detail as { end?: unknown }).end === "string";
  const [timeZone, appointment] = await Promise.all([
    clinicTimeZone(db, event.clinicId),
    carriesEnd ? undefined : db.appointment.get({ appointmentId: event.appointmentId }).go({ attributes: ["end"] }),
  ]);
  return { timeZone, ...(appointment?.data?.end ? { end: appointment.data.end } : {}) };
}

export const handler = eventHandler(async (event) => {
  const { db } = dynamo();
  const pushes = pushesFor(event, await pushContext(db, event));
  const result = await deliver(db, pushes, postToConnection);
  const summary = { messages: pushes.length, sent: result.sent, gone: result.gone.length, failed: result.failed };
  if (result.failed > 0) logger.warn("some pushes failed", { ...summary, errors: result.errors });
  else logger.debug("pushed", summary);
});
