/**
 * The aggregates behind the admin metrics: one item per (clinic, local day) of counters that
 * the metrics consumer (functions/events/metrics.ts) keeps up to date from the domain events,
 * and that the notifications consumer feeds with delivery outcomes (`recordDelivery`).
 *
 * Exactly once: every change is ONE transaction — a receipt per consumer and event id
 * (attribute_not_exists, TTL) plus the counter updates (ADD, list_append). A re-delivered
 * event fails the receipt's condition and changes nothing; concurrent deliveries of one event
 * race on the receipt and one wins. Sums commute, so the order in which EventBridge delivers
 * events (it promises none) does not change the result.
 *
 * What is counted, on the local date of the appointment's start in its clinic's time zone:
 * - AppointmentPending → holds; AppointmentBooked → bookings, bookedMinutes (+ its duration),
 *   a lead time (start − the request that created the appointment: for a confirmed hold that
 *   is when the patient chose the time, not when the nurse approved).
 * - AppointmentCancelled of a booked appointment → cancellations, bookedMinutes (− duration);
 *   of a pending one (a released hold: rejected, unanswered, lapsed, or withdrawn by the
 *   patient) → holdsReleased only: it never held booked time.
 * - AppointmentRescheduled → the minutes move from the old day to the new one, reschedules on
 *   the old day. Bookings and lead times stay where they were counted: they describe the
 *   booking as it was made (a list entry cannot be moved without a read-modify-write).
 * - AppointmentFulfilled / AppointmentNoShow → fulfilled / noShows; the booked minutes stay
 *   (the doctor's time was reserved either way).
 * - Pre-screening SLA, counted per SLA period (the first one runs from the answers, a
 *   `call-patient` decision starts a second): PreScreeningDecided with `slaMet` → decisions and
 *   slaMet; PreScreeningEscalated → escalations (a missed period). A decision after its period
 *   was escalated counts as a decision only, so every period ends in exactly one of slaMet or
 *   escalations and SLA met % = slaMet / (slaMet + escalations).
 *
 * The consumer reads the appointment item (consistently) for what never changes over an
 * appointment's life: its time zone and createdAt. Everything that may change after the event
 * comes from the event: the ends (`end`, `fromEnd`), the status before a cancellation
 * (`previousStatus`), the SLA outcome of a decision (`slaMet`). For events written before those
 * optional fields existed it falls back to the item — exact for a cancellation (cancelled is
 * final) and for approve/reject (final too), approximate for the duration only if the type's
 * duration was changed and the appointment moved before the event was consumed; a
 * `call-patient` decision without `slaMet` counts as a decision only.
 */
import type { Appointment, Db } from "../entities";
import { isEvent, type ReceivedEvent } from "../events/bus";
import { backoff } from "../appointment/tx";
import { channels, type Channel } from "../notifications/preferences";
import { prescreeningStateSchema } from "../prescreening/state";
import { localDateOf, toUtcIso } from "../schedule/slots";
import { isoDateSchema } from "../schedule/types";
import { deliveryCounter, deliveryOutcomes, type DayCounters, type DayDelta, type DeliveryOutcome } from "./report";

/** The receipts' consumer names. */
export const METRICS_CONSUMER = "metrics";
export const DELIVERY_CONSUMER = "notifications";

/** Longer than EventBridge retries (24 h) and an SQS dead-letter queue keeps a message (14 days
 * at most), so a redriven event still finds its receipt. */
export const RECEIPT_TTL_DAYS = 30;

const MAX_ATTEMPTS = 8;
const MINUTE = 60_000;

export interface ApplyResult {
  /** "ignored": a type that changes no aggregate (no receipt written). */
  outcome: "applied" | "duplicate" | "ignored";
  /** Transactions sent (more than 1 after transaction conflicts with concurrent writers). */
  attempts: number;
}

/** The event cannot be counted: the appointment it is about is gone (and the event does not
 * carry what is needed). Thrown, so the event ends in the consumer's dead-letter queue. */
export class MetricsInputMissing extends Error {
  override name = "Carebook.MetricsInputMissing";
}

/** What the consumer knows of the appointment besides the event. */
export interface AppointmentFacts {
  timeZone: string;
  /** When the patient asked for it (the appointment's createdAt, UTC ISO). */
  requestedAt: string;
  /** end − start as stored now (fallback for events without their ends). */
  storedMinutes: number;
  /** The stored pre-screening state (fallbacks for previousStatus and slaMet). */
  prescreening?: unknown;
}

export function factsOf(a: Appointment): AppointmentFacts {
  return {
    timeZone: a.timeZone,
    requestedAt: a.createdAt,
    storedMinutes: minutesBetween(a.start, a.end),
    prescreening: a.prescreening,
  };
}

const minutesBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / MINUTE);

/** Per day: the counters to add and the lead times to append. Days with nothing are absent. */
export type Deltas = Map<string, DayDelta>;

function add(deltas: Deltas, day: string, counters: Partial<DayCounters>, leadTimes: number[] = []) {
  let d = deltas.get(day);
  if (!d) deltas.set(day, (d = { counters: {}, leadTimes: [] }));
  for (const [name, value] of Object.entries(counters) as Array<[keyof DayCounters, number]>) {
    d.counters[name] = (d.counters[name] ?? 0) + value;
  }
  d.leadTimes.push(...leadTimes);
}

/** Drops zero counters and days left with nothing (a reschedule within one day, same length). */
function compact(deltas: Deltas): Deltas {
  for (const [day, d] of deltas) {
    for (const [name, value] of Object.entries(d.counters)) if (value === 0) delete d.counters[name as keyof DayCounters];
    if (Object.keys(d.counters).length === 0 && d.leadTimes.length === 0) deltas.delete(day);
  }
  return deltas;
}

/** The SLA outcome of an approve/reject that predates `slaMet`: final decisions are never
 * overwritten, so the stored state still says when it came and when the SLA was due. */
function slaMetFromState(prescreening: unknown, decision: string): boolean | undefined {
  const state = prescreeningStateSchema.safeParse(prescreening);
  if (!state.success || decision === "call-patient" || state.data.decision !== decision) return undefined;
  const { decidedAt, slaDueAt } = state.data;
  return decidedAt && slaDueAt ? Date.parse(decidedAt) <= Date.parse(slaDueAt) : undefined;
}

/**
 * What one event changes, per local day (pure). `onceKeys` are identities besides the event id
 * that must be applied only once: an escalation per SLA period (a retried workflow step can
 * write a second PreScreeningEscalated for the same period).
 */
export function deltasFor(event: ReceivedEvent, facts: AppointmentFacts): { deltas: Deltas; onceKeys: string[] } {
  const deltas: Deltas = new Map();
  const onceKeys: string[] = [];
  const dayOf = (instant: string) => localDateOf(Date.parse(instant), facts.timeZone);

  if (isEvent(event, "AppointmentPending")) {
    add(deltas, dayOf(event.detail.start), { holds: 1 });
  } else if (isEvent(event, "AppointmentBooked")) {
    const { start, end } = event.detail;
    const minutes = end ? minutesBetween(start, end) : facts.storedMinutes;
    const lead = Math.max(0, Math.floor((Date.parse(start) - Date.parse(facts.requestedAt)) / MINUTE));
    add(deltas, dayOf(start), { bookings: 1, bookedMinutes: minutes }, [lead]);
  } else if (isEvent(event, "AppointmentRescheduled")) {
    const { from, start, fromEnd, end } = event.detail;
    add(deltas, dayOf(from), { reschedules: 1, bookedMinutes: -(fromEnd ? minutesBetween(from, fromEnd) : facts.storedMinutes) });
    add(deltas, dayOf(start), { bookedMinutes: end ? minutesBetween(start, end) : facts.storedMinutes });
  } else if (isEvent(event, "AppointmentCancelled")) {
    // Cancelled is final: the stored item is the appointment as it was cancelled.
    const released = prescreeningStateSchema.safeParse(facts.prescreening);
    const previous = event.detail.previousStatus ?? (released.success && released.data.state === "released" ? "pending" : "booked");
    if (previous === "pending") add(deltas, dayOf(event.detail.start), { holdsReleased: 1 });
    else add(deltas, dayOf(event.detail.start), { cancellations: 1, bookedMinutes: -facts.storedMinutes });
  } else if (isEvent(event, "AppointmentFulfilled")) {
    add(deltas, dayOf(event.detail.start), { fulfilled: 1 });
  } else if (isEvent(event, "AppointmentNoShow")) {
    add(deltas, dayOf(event.detail.start), { noShows: 1 });
  } else if (isEvent(event, "PreScreeningDecided")) {
    const slaMet = event.detail.slaMet ?? slaMetFromState(facts.prescreening, event.detail.decision);
    add(deltas, dayOf(event.detail.start), { screeningDecisions: 1, screeningSlaMet: slaMet ? 1 : 0 });
  } else if (isEvent(event, "PreScreeningEscalated")) {
    add(deltas, dayOf(event.detail.start), { screeningEscalations: 1 });
    onceKeys.push(`escalation#${event.appointmentId}#${event.detail.slaDueAt}`);
  }
  return { deltas: compact(deltas), onceKeys };
}

/** The event types that change an aggregate (the consumer's rule pattern). */
export const countedEventTypes = [
  "AppointmentPending",
  "AppointmentBooked",
  "AppointmentRescheduled",
  "AppointmentCancelled",
  "AppointmentFulfilled",
  "AppointmentNoShow",
  "PreScreeningDecided",
  "PreScreeningEscalated",
] as const satisfies readonly ReceivedEvent["type"][];

/**
 * Writes the receipts and the day updates in one transaction; "duplicate" when a receipt
 * exists (nothing written). Transaction conflicts with concurrent writers of the same day are
 * retried; anything else throws.
 */
async function applyOnce(
  db: Db,
  input: { consumer: string; keys: string[]; clinicId: string; deltas: Deltas; now: number },
): Promise<ApplyResult> {
  const appliedAt = toUtcIso(input.now);
  const expiresAt = Math.floor(input.now / 1000) + RECEIPT_TTL_DAYS * 86_400;
  for (let attempt = 1; ; attempt++) {
    const result = await db.service.transaction
      .write(({ receipt, metricsDay }) => [
        ...input.keys.map((key) => receipt.create({ consumer: input.consumer, key, appliedAt, expiresAt }).commit()),
        ...[...input.deltas].map(([day, { counters, leadTimes }]) => {
          const update = metricsDay.update({ clinicId: input.clinicId, day }).add(counters);
          return (leadTimes.length > 0 ? update.append({ leadTimes }) : update).commit();
        }),
      ])
      .go();
    if (!result.canceled) return { outcome: "applied", attempts: attempt };
    const codes = (result.data as ReadonlyArray<{ code?: string }>).map((r) => r.code);
    if (codes.slice(0, input.keys.length).includes("ConditionalCheckFailed")) return { outcome: "duplicate", attempts: attempt };
    if (!codes.includes("TransactionConflict")) throw new Error(`metrics transaction cancelled: ${codes.join(",")}`);
    if (attempt >= MAX_ATTEMPTS) throw new Error(`metrics transaction kept conflicting (${attempt} attempts)`);
    await backoff(attempt - 1);
  }
}

/**
 * Applies one domain event to the aggregates exactly once (see the top of this file for what
 * each type counts). Events of other types change nothing and leave no receipt.
 */
export async function applyEvent(db: Db, event: ReceivedEvent, options: { now?: number } = {}): Promise<ApplyResult> {
  if (!(countedEventTypes as readonly string[]).includes(event.type)) return { outcome: "ignored", attempts: 0 };
  const { data: appointment } = await db.appointment.get({ appointmentId: event.appointmentId }).go({ consistent: true });
  if (!appointment) throw new MetricsInputMissing(`appointment ${event.appointmentId} of ${event.type} ${event.eventId} not found`);
  const { deltas, onceKeys } = deltasFor(event, factsOf(appointment));
  return applyOnce(db, {
    consumer: METRICS_CONSUMER,
    keys: [event.eventId, ...onceKeys],
    clinicId: event.clinicId,
    deltas,
    now: options.now ?? Date.now(),
  });
}

export interface DeliveryInput {
  clinicId: string;
  /** The appointment's local date in the clinic's time zone (yyyy-mm-dd). */
  day: string;
  channel: Channel;
  outcome: DeliveryOutcome;
  /** The provider's message id: a message counts once per outcome (a failure later retried
   * and delivered counts once as each). */
  messageId: string;
  now?: number;
}

/** Counts one notification outcome on the appointment's day, exactly once per messageId+outcome. */
export async function recordDelivery(db: Db, input: DeliveryInput): Promise<ApplyResult> {
  if (!isoDateSchema.safeParse(input.day).success) throw new RangeError(`invalid day "${input.day}", expected yyyy-mm-dd`);
  if (!channels.includes(input.channel)) throw new RangeError(`unknown channel "${input.channel}"`);
  if (!deliveryOutcomes.includes(input.outcome)) throw new RangeError(`unknown outcome "${input.outcome}"`);
  if (!input.messageId) throw new RangeError("messageId is required");
  return applyOnce(db, {
    consumer: DELIVERY_CONSUMER,
    keys: [`${input.messageId}#${input.outcome}`],
    clinicId: input.clinicId,
    deltas: new Map([[input.day, { counters: { [deliveryCounter(input.channel, input.outcome)]: 1 }, leadTimes: [] }]]),
    now: input.now ?? Date.now(),
  });
}
