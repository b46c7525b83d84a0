/**
 * ElectroDB entities of the admin metrics, on the one table (same `service`, same client).
 *
 * Access patterns:
 * - metricsDay  byClinicDay (clinic, day)   the counters of one clinic on one local date; a range
 *                                           of days is one Query on the clinic's partition
 * - receipt     byKey (consumer, key)       "this consumer has applied this event" — created with
 *                                           attribute_not_exists in the same transaction as the
 *                                           change it guards, removed by TTL (`expiresAt`)
 *
 * The day item shares the clinic's partition (`$carebook#clinicid_<id>`) with the clinic item
 * and its pre-screening queue: one clinic's event rate is far below a partition's limits.
 */

const service = "carebook";
/** Counters are created by their first ADD: an attribute never added to reads as absent (0). */
const counter = { type: "number" } as const;

export const metricsDaySchema = {
  model: { entity: "metricsDay", version: "1", service },
  attributes: {
    clinicId: { type: "string", required: true },
    /** The appointments' local date (yyyy-mm-dd) in the clinic's time zone. */
    day: { type: "string", required: true },
    /** AppointmentBooked (a direct booking or a confirmed hold), on the day booked for. */
    bookings: counter,
    /** AppointmentPending: holds waiting for pre-screening. */
    holds: counter,
    /** AppointmentCancelled of a pending appointment (rejected, unanswered, lapsed, withdrawn). */
    holdsReleased: counter,
    /** AppointmentCancelled of a booked appointment. */
    cancellations: counter,
    /** AppointmentRescheduled away from this day. */
    reschedules: counter,
    noShows: counter,
    fulfilled: counter,
    /** Minutes (start → end, buffers excluded) of the appointments booked for this day now. */
    bookedMinutes: counter,
    /** Whole minutes from the booking request to the start, one entry per booking (append-only,
     * so a median over any range of days is exact). */
    leadTimes: { type: "list", items: { type: "number" } },
    /** Pre-screening SLA periods: a nurse's decision in time, or an escalation (a miss). */
    screeningDecisions: counter,
    screeningSlaMet: counter,
    screeningEscalations: counter,
    emailDelivered: counter,
    emailFailed: counter,
    smsDelivered: counter,
    smsFailed: counter,
    pushDelivered: counter,
    pushFailed: counter,
  },
  indexes: {
    byClinicDay: { pk: { field: "pk", composite: ["clinicId"] }, sk: { field: "sk", composite: ["day"] } },
  },
} as const;

export const receiptSchema = {
  model: { entity: "receipt", version: "1", service },
  attributes: {
    /** Who applied it ("metrics", "notifications"…): each consumer applies an event once. */
    consumer: { type: "string", required: true },
    /** The event id, or another identity of what was applied (messageId#outcome). */
    key: { type: "string", required: true },
    appliedAt: { type: "string", required: true },
    /** TTL (epoch seconds): longer than an event can be retried or redriven from a DLQ. */
    expiresAt: { type: "number", required: true },
  },
  indexes: {
    // Case kept: two message ids that differ only in case are two messages.
    byKey: { pk: { field: "pk", composite: ["consumer", "key"], casing: "none" }, sk: { field: "sk", composite: [] } },
  },
} as const;
