/**
 * The calendar invitation attached to appointment e-mails (iTIP, RFC 5546). The UID stays the
 * same for the life of an appointment and SEQUENCE grows with each change (the appointment's
 * version), so a calendar updates or removes its entry instead of adding a second one.
 * Times are written in UTC: no VTIMEZONE needed, and every client shows its own local time.
 */
import { createEvent, type EventAttributes } from "ics";

export interface AppointmentIcsInput {
  /** stable per appointment, e.g. `${appointmentId}@carebook` */
  uid: string;
  /** grows with every change: the appointment's version */
  sequence: number;
  /** REQUEST creates or updates the entry; CANCEL removes it */
  method: "REQUEST" | "CANCEL";
  /** UTC ISO instants */
  start: string;
  end: string;
  summary: string;
  description: string;
  location?: string;
  organizerEmail?: string;
  organizerName?: string;
  url?: string;
  /** DTSTAMP (epoch ms); now by default */
  stamp?: number;
}

function epoch(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`${field}: not an instant: ${iso}`);
  return ms;
}

export function appointmentIcs(input: AppointmentIcsInput): string {
  const attributes: EventAttributes & { timestamp?: number } = {
    productId: "carebook/notifications",
    method: input.method,
    uid: input.uid,
    sequence: input.sequence,
    start: epoch(input.start, "start"),
    startInputType: "utc",
    startOutputType: "utc",
    end: epoch(input.end, "end"),
    endInputType: "utc",
    endOutputType: "utc",
    title: input.summary,
    description: input.description,
    status: input.method === "CANCEL" ? "CANCELLED" : "CONFIRMED",
    busyStatus: input.method === "CANCEL" ? "FREE" : "BUSY",
    ...(input.location ? { location: input.location } : {}),
    ...(input.url ? { url: input.url } : {}),
    // iTIP requires an ORGANIZER on REQUEST and CANCEL; calendar clients match updates by it.
    ...(input.organizerEmail ? { organizer: { email: input.organizerEmail, name: input.organizerName ?? "Carebook" } } : {}),
    // `timestamp` (DTSTAMP) is read by ics but missing from its types.
    ...(input.stamp !== undefined ? { timestamp: input.stamp } : {}),
  };
  const { error, value } = createEvent(attributes);
  if (error || !value) throw error ?? new Error("ics: no calendar produced");
  return value;
}
