/**
 * Who hears about what: the topics a connection is in, and the messages a domain event becomes
 * on which topics. Pure — the fan-out consumer (functions/realtime/fan-out.ts) queries each
 * topic's connections once and pushes.
 *
 * Topics:
 * - `user#<sub>`                  every connection of a user (a patient's tabs and devices);
 * - `clinic#<clinicId>`           connections of doctors, nurses and admins whose active staff
 *                                 record names the clinic;
 * - `slots#<clinicId>#<date>`     connections viewing that clinic's free slots on that local date
 *                                 (subscribed by the client, at most MAX_SLOT_SUBSCRIPTIONS).
 */
import type { AppointmentStatus } from "../entities";
import type { ReceivedEvent } from "../events/bus";
import type { EventType } from "../events/schemas";
import { localDateOf } from "../schedule/slots";
import type { AppointmentMessage, ServerMessage, SlotsMessage } from "./messages";

export type Topic = string;

/** Slot subscriptions one connection may hold. */
export const MAX_SLOT_SUBSCRIPTIONS = 20;

/**
 * How long connection items live (TTL), from the connection: API Gateway closes every WebSocket
 * connection after 2 hours at most (the local server does too), and a $disconnect it failed to
 * deliver must not leave items behind for longer than this.
 */
export const CONNECTION_TTL_SECONDS = 3 * 3600;

/** Roles whose connections hear about their clinics' appointments. */
export const clinicRoles: readonly string[] = ["doctor", "nurse", "admin"];

export const userTopic = (sub: string): Topic => `user#${sub}`;
export const clinicTopic = (clinicId: string): Topic => `clinic#${clinicId}`;
export const slotsTopic = (clinicId: string, date: string): Topic => `slots#${clinicId}#${date}`;

/** The topics a connection joins for who it is: its user's, and its staff clinics'. */
export function identityTopics(caller: { sub: string; clinicIds: readonly string[] }): Topic[] {
  return [userTopic(caller.sub), ...[...new Set(caller.clinicIds)].map(clinicTopic)];
}

/**
 * What each domain event means for the real-time clients: the status it leaves the appointment
 * in (null: it does not change it), whether the patient hears of it (false for events about the
 * clinic's work only), and the slots it may take or free.
 */
interface EventEffect {
  status: AppointmentStatus | null;
  toPatient: boolean;
  /** The slot starts whose clinic-day may have changed. */
  slots: "start" | "from-and-start" | "none";
}

export const realtimeEffects = {
  AppointmentPending: { status: "pending", toPatient: true, slots: "start" },
  AppointmentBooked: { status: "booked", toPatient: true, slots: "start" },
  AppointmentRescheduled: { status: null, toPatient: true, slots: "from-and-start" },
  // A cancelled booking, or a released hold (rejected, unanswered, lapsed, withdrawn).
  AppointmentCancelled: { status: "cancelled", toPatient: true, slots: "start" },
  PreScreeningRequested: { status: "pending", toPatient: true, slots: "none" },
  PreScreeningDecided: { status: null, toPatient: true, slots: "none" },
  PreScreeningEscalated: { status: null, toPatient: false, slots: "none" },
  // Another doctor at the same time: the clinic's free doctors at that start change.
  AppointmentReassigned: { status: null, toPatient: true, slots: "start" },
  AppointmentNeedsReschedule: { status: null, toPatient: true, slots: "none" },
  AppointmentCheckedIn: { status: "arrived", toPatient: true, slots: "none" },
  AppointmentFulfilled: { status: "fulfilled", toPatient: true, slots: "none" },
  AppointmentNoShow: { status: "noshow", toPatient: true, slots: "none" },
} as const satisfies Partial<Record<EventType, EventEffect>>;

export type RealtimeEventType = keyof typeof realtimeEffects;
/** The event types the fan-out consumer's rule lets through. */
export const realtimeEventTypes = Object.keys(realtimeEffects) as RealtimeEventType[];

export function isRealtimeEvent(event: ReceivedEvent): event is ReceivedEvent<RealtimeEventType> {
  return event.type in realtimeEffects;
}

/** One message and the topics it goes to. */
export interface Push {
  topics: Topic[];
  message: ServerMessage;
}

/** What the fan-out knows besides the event. */
export interface PushContext {
  /** The clinic's time zone: slot dates are clinic-local. */
  timeZone: string;
  /** The appointment's end when the event does not carry it (a cancellation), if known. */
  end?: string;
}

/** The slot starts (and ends) of an event whose clinic-days may have changed. */
export function slotChanges(event: ReceivedEvent<RealtimeEventType>, context: Pick<PushContext, "end">): Array<{ start: string; end?: string }> {
  const effect: EventEffect = realtimeEffects[event.type];
  const detail = event.detail as { start: string; end?: string; from?: string; fromEnd?: string };
  const end = detail.end ?? context.end;
  const at = { start: detail.start, ...(end ? { end } : {}) };
  if (effect.slots === "none") return [];
  if (effect.slots === "start" || !detail.from) return [at];
  // Rescheduled: the old day freed, the new one taken. Without `fromEnd` (older events), the
  // old end by the appointment's length now (good enough: clients re-fetch the whole day).
  const fromEnd =
    detail.fromEnd ?? (detail.end ? new Date(Date.parse(detail.from) + Date.parse(detail.end) - Date.parse(detail.start)).toISOString().replace(/\.000Z$/, "Z") : undefined);
  return [{ start: detail.from, ...(fromEnd ? { end: fromEnd } : {}) }, at];
}

/** Whether the event can free or take a slot (so the fan-out needs the clinic's time zone). */
export function touchesSlots(event: ReceivedEvent): boolean {
  return isRealtimeEvent(event) && realtimeEffects[event.type].slots !== "none";
}

/**
 * The messages a domain event becomes and their topics: an `appointment` message to its
 * patient's connections (unless the event is the clinic's business only) and to its clinic's
 * staff; a `slots` message to the viewers of each clinic-day a slot may have been taken or freed
 * on (one per day). Events of other types become nothing.
 */
export function pushesFor(event: ReceivedEvent, context: PushContext): Push[] {
  if (!isRealtimeEvent(event)) return [];
  const effect: EventEffect = realtimeEffects[event.type];
  const detail = event.detail as { start: string; patientId?: string };
  const appointment: AppointmentMessage = {
    type: "appointment",
    event: event.type,
    appointmentId: event.appointmentId,
    ...(effect.status ? { status: effect.status } : {}),
    clinicId: event.clinicId,
    start: detail.start,
    at: event.occurredAt,
  };
  const pushes: Push[] = [
    {
      topics: [...(effect.toPatient && detail.patientId ? [userTopic(detail.patientId)] : []), clinicTopic(event.clinicId)],
      message: appointment,
    },
  ];
  const days = new Map<string, SlotsMessage>();
  for (const slot of slotChanges(event, context).reverse()) {
    // Reversed, so a reschedule within one day reports where the appointment is now.
    const date = localDateOf(Date.parse(slot.start), context.timeZone);
    if (!days.has(date)) days.set(date, { type: "slots", clinicId: event.clinicId, date, event: event.type, ...slot });
  }
  for (const message of [...days.values()].reverse()) pushes.push({ topics: [slotsTopic(message.clinicId, message.date)], message });
  return pushes;
}
