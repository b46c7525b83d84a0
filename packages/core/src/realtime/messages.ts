/**
 * The WebSocket protocol's messages (docs/realtime.md): what a client may send — validated
 * here with zod — and what the server sends, built here and nowhere else. Pure.
 *
 * Client → server (JSON text; in AWS the API's route selection reads `action`):
 *   {"action":"subscribe","topic":"slots","clinicId":"…","date":"yyyy-mm-dd"}
 *   {"action":"unsubscribe","topic":"slots","clinicId":"…","date":"yyyy-mm-dd"}
 *   {"action":"ping"}                         (a keep-alive: API Gateway closes idle connections after 10 min)
 * Server → client:
 *   {"type":"subscribed"|"unsubscribed","topic":"slots","clinicId","date"}
 *   {"type":"error","error":{"code","message","details"?}}
 *   {"type":"appointment","event","appointmentId","status"?,"clinicId","start","at"}
 *   {"type":"slots","clinicId","date","event","start","end"?}
 *   {"type":"pong"}
 */
import { z } from "zod";
import type { AppointmentStatus } from "../entities";
import type { EventType } from "../events/schemas";
import { isoDateSchema } from "../schedule/types";

const slotsTopic = {
  topic: z.literal("slots"),
  clinicId: z.string().min(1).max(128),
  date: isoDateSchema,
};

export const clientMessageSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("subscribe"), ...slotsTopic }),
  z.object({ action: z.literal("unsubscribe"), ...slotsTopic }),
  z.object({ action: z.literal("ping") }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type SlotsTopicRef = { topic: "slots"; clinicId: string; date: string };

export interface ErrorMessage {
  type: "error";
  error: { code: string; message: string; details?: unknown };
}

export type SubscriptionMessage = { type: "subscribed" | "unsubscribed" } & SlotsTopicRef;

/** An appointment's state changed: to its patient and the staff of its clinic. */
export interface AppointmentMessage {
  type: "appointment";
  event: EventType;
  appointmentId: string;
  /** The status the event leaves the appointment in; absent when the event does not change it
   * (a reschedule, a re-assignment, a pre-screening decision — the Booked or Cancelled that
   * follows a decision carries it). */
  status?: AppointmentStatus;
  clinicId: string;
  /** The appointment's start after the event (UTC ISO). */
  start: string;
  /** When the event happened (UTC ISO). */
  at: string;
}

/** A slot of the clinic's day may have been taken or freed: viewers re-fetch that day. */
export interface SlotsMessage {
  type: "slots";
  clinicId: string;
  /** The clinic-local date (yyyy-mm-dd) of the appointment's start in the clinic's time zone. */
  date: string;
  event: EventType;
  start: string;
  end?: string;
}

export type ServerMessage = ErrorMessage | SubscriptionMessage | AppointmentMessage | SlotsMessage | { type: "pong" };

export function errorMessage(code: string, message: string, details?: unknown): ErrorMessage {
  return { type: "error", error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Reads a client's message text: the message, or the error to answer with (not JSON, not an
 * object with a known `action`, or fields that do not fit).
 */
export function parseClientMessage(text: string | undefined): { ok: true; message: ClientMessage } | { ok: false; error: ErrorMessage } {
  let value: unknown;
  try {
    value = JSON.parse(text ?? "");
  } catch {
    return { ok: false, error: errorMessage("MALFORMED_JSON", "The message is not valid JSON") };
  }
  const parsed = clientMessageSchema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const action = (value as { action?: unknown } | null)?.action;
  if (typeof action !== "string" || !clientMessageSchema.options.some((o) => o.shape.action.value === action)) {
    return { ok: false, error: errorMessage("UNKNOWN_ACTION", 'Send {"action":"subscribe"|"unsubscribe"|"ping", …}', { action: action ?? null }) };
  }
  return {
    ok: false,
    error: errorMessage(
      "VALIDATION_FAILED",
      `Invalid ${action} message`,
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code })),
    ),
  };
}
