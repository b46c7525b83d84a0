/**
 * From a domain event to a message in the patient's hands.
 * (Alerts to clinic staff use the same store and dispatcher: staff-alerts.ts.)
 *
 * 1. `notifyForEvent` decides what the event tells the patient (`planFor`), reads the
 *    patient's preferences, and creates one `notification` item per event and kind —
 *    conditionally, so a re-delivered event creates nothing — together with a
 *    `notificationDue` item for when it may go out (now, or the end of quiet hours).
 * 2. `dispatch` sends it: it takes a lease on the message (a conditional update on its
 *    version, so two dispatchers never both send), tries the patient's channels in order of
 *    preference, and records every step in the message's delivery log. A transient failure is
 *    retried later with backoff (a new due time); a permanent one, or one that outlasted its
 *    retries, falls back to the next channel; when none is left the message is `failed`.
 * 3. `dispatchDue` (the scheduled dispatcher) sends what has come due: deferred messages,
 *    retries, and messages whose sender died mid-send (their lease lapsed). A crash between a
 *    provider accepting a message and our recording it can therefore send it twice — the one
 *    place where delivery is at-least-once; the local outbox and the delivery log show both.
 */
import type { Appointment, AppointmentType, Clinic, Db, Doctor, Notification, Patient } from "../entities";
import { NotFoundError } from "../errors";
import type { ReceivedEvent } from "../events/bus";
import { toUtcIso } from "../schedule/slots";
import { addressFor, DeliveryError, messageFor, retryDelayMs, shouldRetry, type Contacts, type OutgoingMessage } from "./delivery";
import { appointmentIcs } from "./ics";
import { defaultPreferences, type Channel, type NotificationPreferences, notificationPreferencesSchema } from "./preferences";
import { deliverAt } from "./quiet-hours";
import {
  render,
  renderStaffAlert,
  type Language,
  type MessageKind,
  type RenderedMessage,
  type StaffAlertContext,
  type StaffMessageKind,
  type TemplateContext,
} from "./templates";

export interface Sender {
  send(message: OutgoingMessage): Promise<{ providerMessageId: string; status: "sent" | "delivered" }>;
}
export type Senders = Record<Channel, Sender>;

/** Told after each message reaches its end (for the metrics aggregates). */
export type OutcomeListener = (outcome: {
  messageId: string;
  clinicId: string;
  appointmentId: string;
  /** The appointment's start and the clinic's zone: its local day is the metrics' day. */
  start: string;
  timeZone: string;
  channel: Channel;
  outcome: "delivered" | "failed";
}) => Promise<void>;

export interface DispatchOptions {
  senders: Senders;
  now: () => number;
  onOutcome?: OutcomeListener;
}

/** How long a dispatcher may take to send before another may take the message over. */
export const SEND_LEASE_MS = 2 * 60_000;

export interface Plan {
  kind: MessageKind;
  /** Urgent messages ignore quiet hours. */
  urgent: boolean;
  /** The calendar entry to attach to the e-mail. */
  ics?: "REQUEST" | "CANCEL";
  /** On every channel the patient has chosen, not just the first that works. */
  everyChannel?: boolean;
}

/**
 * What an event tells the patient. Quiet hours hold back what the patient did not just cause
 * and can wait (reminders, the pre-screening request); answers to the patient's own action and
 * news that changes their plans (a cancellation, a nurse about to call) go out at once. So do
 * the clinic's changes to an appointment: a new doctor (the patient may not want to see them,
 * and their calendar entry changes) and a doctor who can no longer come (the patient must act,
 * and the offered times are first come, first served).
 */
export function planFor(event: ReceivedEvent): Plan | undefined {
  switch (event.type) {
    case "AppointmentBooked":
      return { kind: "confirmation", urgent: true, ics: "REQUEST" };
    case "PreScreeningRequested":
      return { kind: "pending", urgent: false };
    case "AppointmentRescheduled":
      return { kind: "rescheduled", urgent: true, ics: "REQUEST" };
    case "AppointmentCancelled":
      return { kind: "cancelled", urgent: true, ics: "CANCEL" };
    case "ReminderDue":
      return { kind: "reminder", urgent: false };
    case "EmergencyNotice":
      return { kind: "emergency", urgent: true, everyChannel: true };
    case "AppointmentReassigned":
      // Same time and place, another doctor: the calendar entry's description names the doctor.
      return { kind: "reassigned", urgent: true, ics: "REQUEST" };
    case "AppointmentNeedsReschedule":
      // Nothing changed yet (the appointment stands until the patient acts): no calendar update.
      return { kind: "reschedule-needed", urgent: true };
    case "PreScreeningDecided":
      // approve → AppointmentBooked follows; reject → AppointmentCancelled follows.
      return (event.detail as { decision: string }).decision === "call-patient" ? { kind: "call-patient", urgent: true } : undefined;
    default:
      // AppointmentPending is told by PreScreeningRequested (which knows the deadline);
      // PreScreeningEscalated is for staff (staff-alerts.ts).
      return undefined;
  }
}

/** The patient's preferences, or the defaults for their language and the region's zone. */
export function preferencesOf(patient: Patient, fallbackTimeZone: string): NotificationPreferences {
  const stored = notificationPreferencesSchema.safeParse(patient.notificationPreferences);
  return stored.success ? stored.data : defaultPreferences({ preferredLanguage: patient.preferredLanguage, timeZone: fallbackTimeZone });
}

export function contactsOf(patient: Patient, prefs: NotificationPreferences): Contacts {
  return {
    email: patient.email,
    phone: prefs.contacts?.phone ?? patient.phone,
    pushEndpointArn: prefs.contacts?.pushEndpointArn,
    webPush: prefs.contacts?.webPush,
  };
}

const detailOf = (event: ReceivedEvent) => event.detail as Record<string, unknown>;

/** Events whose `reason` is internal (a doctor's leave…): it never reaches the patient's message. */
const privateReason = new Set<ReceivedEvent["type"]>(["AppointmentReassigned", "AppointmentNeedsReschedule"]);

/**
 * What a message about an event shows: the time, doctor and reason the event speaks of (the
 * appointment may have changed again since), the rest from the appointment, clinic and type.
 * `doctor` is the event's doctor when it is not the appointment's (read by `contextFor`).
 */
export function buildContext(
  event: ReceivedEvent,
  appointment: Appointment,
  patient: Pick<Patient, "name">,
  found: { clinic?: Clinic | null; type?: AppointmentType | null; doctor?: Doctor | null } = {},
): TemplateContext {
  const { clinic, type, doctor } = found;
  const detail = detailOf(event);
  const start = typeof detail.start === "string" ? detail.start : appointment.start;
  const duration = Date.parse(appointment.end) - Date.parse(appointment.start);
  // The end the event carries, else the appointment's duration from the event's start.
  const end = typeof detail.start === "string" && typeof detail.end === "string" ? detail.end : toUtcIso(Date.parse(start) + duration);
  const address = clinic?.address;
  const doctorName = typeof detail.doctorId === "string" && detail.doctorId !== appointment.doctorId && doctor?.doctorId === detail.doctorId ? doctor.name : appointment.doctorName;
  return {
    patientName: patient.name,
    clinicName: clinic?.name ?? appointment.clinicId,
    ...(address ? { clinicAddress: `${address.line1}, ${address.postcode} ${address.city}` } : {}),
    ...(clinic?.phone ? { clinicPhone: clinic.phone } : {}),
    typeName: type?.name ?? appointment.typeId,
    start,
    end,
    timeZone: appointment.timeZone,
    doctorName,
    ...(typeof detail.from === "string" ? { previousStart: detail.from } : {}),
    ...(typeof detail.reason === "string" && !privateReason.has(event.type) ? { reason: detail.reason } : {}),
    ...(typeof detail.answerBy === "string" ? { answerBy: detail.answerBy } : {}),
    ...(typeof detail.message === "string" ? { message: detail.message } : {}),
    ...(Array.isArray(detail.offers) ? { offers: (detail.offers as Array<{ start: string; end: string }>).map(({ start, end }) => ({ start, end })) } : {}),
  };
}

async function contextFor(db: Db, event: ReceivedEvent, appointment: Appointment, patient: Patient): Promise<TemplateContext> {
  const eventDoctorId = detailOf(event).doctorId;
  const [clinic, type, doctor] = await Promise.all([
    db.clinic.get({ clinicId: appointment.clinicId }).go(),
    db.appointmentType.get({ typeId: appointment.typeId }).go(),
    // A reassignment names the new doctor; read them only if the appointment has moved on since.
    event.type === "AppointmentReassigned" && typeof eventDoctorId === "string" && eventDoctorId !== appointment.doctorId
      ? db.doctor.get({ doctorId: eventDoctorId }).go()
      : undefined,
  ]);
  return buildContext(event, appointment, patient, { clinic: clinic.data, type: type.data, doctor: doctor?.data });
}

/** The messages a planned event becomes: one, trying the patient's channels in order; for
 * `everyChannel` plans (emergencies) one per channel. The id makes a re-delivery find it. */
export function messageVariants(eventId: string, plan: Plan, channels: readonly Channel[]): Array<{ messageId: string; channels: Channel[] }> {
  return plan.everyChannel
    ? channels.map((channel) => ({ messageId: `${eventId}:${plan.kind}:${channel}`, channels: [channel] }))
    : [{ messageId: `${eventId}:${plan.kind}`, channels: [...channels] }];
}

const isConditionFailure = (error: unknown) => /conditional|ConditionalCheckFailed/i.test(String((error as Error)?.message ?? error));

/**
 * Plans the message(s) an event calls for and sends those that are due. Idempotent by event
 * id: a re-delivered event finds its messages and leaves them to the dispatcher. Usually one
 * message that tries the patient's channels in order; for `everyChannel` plans (emergencies)
 * one message per channel the patient has chosen.
 */
export async function notifyForEvent(db: Db, event: ReceivedEvent, options: DispatchOptions): Promise<Notification[]> {
  const plan = planFor(event);
  if (!plan) return [];
  const patientId = String(detailOf(event).patientId);
  const [appointment, patient, region] = await Promise.all([
    db.appointment.get({ appointmentId: event.appointmentId }).go(),
    db.patient.get({ patientId }).go(),
    db.region.get({ regionId: event.regionId }).go(),
  ]);
  if (!appointment.data || !patient.data) {
    // Erased or never there: nothing to tell, and no one to tell it to.
    return [];
  }
  const prefs = preferencesOf(patient.data, region.data?.defaultTimeZone ?? appointment.data.timeZone);
  const variants = messageVariants(event.eventId, plan, prefs.channels);
  const context = await contextFor(db, event, appointment.data, patient.data);
  const now = options.now();
  // Quiet hours hold a message back — but never past the appointment itself: a reminder that
  // would arrive after the visit starts goes now (better woken than missed).
  const held = deliverAt(now, prefs, plan.urgent);
  const dueAt = new Date(held >= Date.parse(context.start) ? now : held).toISOString();
  const ics = plan.ics
    ? {
        uid: `${appointment.data.appointmentId}@carebook`,
        sequence: Number(detailOf(event).version ?? appointment.data.version),
        method: plan.ics,
      }
    : undefined;

  const messages: Notification[] = [];
  for (const { messageId, channels } of variants) {
    const message: Notification = {
      messageId,
      eventId: event.eventId,
      kind: plan.kind,
      patientId,
      regionId: event.regionId,
      clinicId: event.clinicId,
      appointmentId: event.appointmentId,
      urgent: plan.urgent,
      language: prefs.language,
      channels,
      channelIndex: 0,
      attempts: 0,
      status: "queued",
      context,
      contacts: contactsOf(patient.data, prefs),
      ...(ics ? { ics } : {}),
      dueAt,
      log: [{ at: new Date(now).toISOString(), status: "queued", detail: dueAt > new Date(now).toISOString() ? `held until ${dueAt} (quiet hours)` : undefined }],
      version: 1,
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
    };
    messages.push(await enqueue(db, message, options));
  }
  return messages;
}

/**
 * Stores a planned message once and sends it if it is due now. The message id is derived from
 * the event, and the item is created with `attribute_not_exists` in one transaction with its due
 * item: a re-delivered (or concurrently delivered) event finds the message already there and
 * returns it as stored, sending nothing — what it still needs is the dispatcher's to do.
 */
export async function enqueue(db: Db, message: Notification, options: DispatchOptions): Promise<Notification> {
  const { messageId } = message;
  const existing = await db.notification.get({ messageId }).go();
  if (existing.data) return existing.data;
  const dueAt = message.dueAt!;
  const result = await db.service.transaction
    .write(({ notification, notificationDue }) => [
      notification.create(message).commit(),
      notificationDue.put({ regionId: message.regionId, dueAt, messageId }).commit(),
    ])
    .go();
  if (result.canceled) {
    const again = await db.notification.get({ messageId }).go();
    if (!again.data) throw new Error(`could not create notification ${messageId}`);
    return again.data; // a concurrent delivery of the same event won
  }
  return Date.parse(dueAt) <= options.now() ? ((await dispatch(db, messageId, options)) ?? message) : message;
}

/** Staff alerts are not patient notifications: they stay out of the patients' delivery metrics. */
const countsInMetrics = (message: Notification) => message.audience !== "staff";

function renderedFor(message: Notification): RenderedMessage {
  const language = message.language as Language;
  return message.audience === "staff"
    ? renderStaffAlert(message.kind as StaffMessageKind, language, message.context as StaffAlertContext)
    : render(message.kind as MessageKind, language, message.context as TemplateContext);
}

type Step = Pick<Notification, "status" | "channelIndex" | "attempts"> & Partial<Pick<Notification, "channel" | "providerMessageId">>;

/**
 * Sends one message if it is due and no other dispatcher holds it. Returns the message as
 * left, or undefined when it was not ours to send.
 */
export async function dispatch(db: Db, messageId: string, options: DispatchOptions): Promise<Notification | undefined> {
  const found = await db.notification.get({ messageId }).go();
  let message = found.data;
  if (!message) return undefined;
  const now = options.now();
  const takeOver = message.status === "sending" && (message.leaseUntil ?? 0) < now;
  if (message.status !== "queued" && !takeOver) return undefined;
  if (message.status === "queued" && message.dueAt && Date.parse(message.dueAt) > now) return undefined;

  // The lease: queued (or a lapsed send) → sending, on this version only; its due item moves
  // to the lease's end, so a dispatcher that dies here is taken over then.
  const leaseUntil = now + SEND_LEASE_MS;
  const leaseDue = new Date(leaseUntil).toISOString();
  const claimed = await db.service.transaction
    .write(({ notification, notificationDue }) => [
      notification
        .patch({ messageId })
        .set({ status: "sending", leaseUntil, dueAt: leaseDue, version: message!.version + 1, updatedAt: new Date(now).toISOString() })
        .where((a, op) => op.eq(a.version, message!.version))
        .commit(),
      // (One operation per item in a transaction: when the old due time is the lease's end, keep it.)
      ...(message!.dueAt === leaseDue
        ? []
        : [
            ...(message!.dueAt ? [notificationDue.delete({ regionId: message!.regionId, dueAt: message!.dueAt, messageId }).commit()] : []),
            notificationDue.put({ regionId: message!.regionId, dueAt: leaseDue, messageId }).commit(),
          ]),
    ])
    .go();
  if (claimed.canceled) return undefined;
  message = { ...message, status: "sending", leaseUntil, dueAt: leaseDue, version: message.version + 1 };

  const log: Notification["log"] = [];
  const at = () => new Date(options.now()).toISOString();
  let step: Step = { status: "failed", channelIndex: message.channelIndex, attempts: message.attempts };
  let retryAt: string | undefined;
  const channels = message.channels as Channel[];
  for (let index = message.channelIndex; index < channels.length; index++) {
    const channel = channels[index]!;
    const attempts = index === message.channelIndex ? message.attempts : 0;
    const to = addressFor(channel, message.contacts as Contacts);
    if (!to) {
      log.push({ at: at(), status: "skipped", channel, detail: `no ${channel} address` });
      continue;
    }
    try {
      const rendered = renderedFor(message);
      const ics = message.ics ? icsFor(message) : undefined;
      const out = messageFor(channel, rendered, { messageId, recipientId: message.patientId, to, language: message.language as Language, ics });
      const sent = await options.senders[channel].send(out);
      log.push({ at: at(), status: sent.status, channel, detail: sent.providerMessageId });
      step = { status: sent.status, channelIndex: index, attempts, channel, providerMessageId: sent.providerMessageId };
      break;
    } catch (error) {
      const failedTries = attempts + 1;
      const reason = error instanceof DeliveryError ? `${error.code}: ${error.message}` : String((error as Error)?.message ?? error);
      if (shouldRetry(error, failedTries)) {
        retryAt = new Date(options.now() + retryDelayMs(failedTries)).toISOString();
        log.push({ at: at(), status: "retrying", channel, detail: `${reason}; try ${failedTries + 1} at ${retryAt}` });
        step = { status: "queued", channelIndex: index, attempts: failedTries };
        break;
      }
      log.push({ at: at(), status: "failed", channel, detail: reason });
      step = { status: "failed", channelIndex: index, attempts: failedTries, channel };
      // On to the next channel, if there is one.
    }
  }
  if (step.status === "failed" && !log.some((l) => l.status === "failed")) {
    log.push({ at: at(), status: "failed", detail: `no channel the ${message.audience === "staff" ? "staff member" : "patient"} can be reached on` });
  }

  const finished = await db.service.transaction
    .write(({ notification, notificationDue }) => [
      notification
        .patch({ messageId })
        .set({
          status: step.status,
          channelIndex: step.channelIndex,
          attempts: step.attempts,
          ...(step.channel ? { channel: step.channel } : {}),
          ...(step.providerMessageId ? { providerMessageId: step.providerMessageId } : {}),
          ...(retryAt ? { dueAt: retryAt } : {}),
          log: [...message!.log, ...log],
          version: message!.version + 1,
          updatedAt: at(),
        })
        .remove(retryAt ? ["leaseUntil"] : ["leaseUntil", "dueAt"])
        .where((a, op) => op.eq(a.version, message!.version))
        .commit(),
      ...(retryAt === leaseDue
        ? [] // the retry is due when the lease ends: that due item stays
        : [
            notificationDue.delete({ regionId: message!.regionId, dueAt: leaseDue, messageId }).commit(),
            ...(retryAt ? [notificationDue.put({ regionId: message!.regionId, dueAt: retryAt, messageId }).commit()] : []),
          ]),
    ])
    .go();
  if (finished.canceled) {
    // Our lease lapsed and another dispatcher took over: it records its own outcome.
    return undefined;
  }
  const final = (await db.notification.get({ messageId }).go()).data ?? undefined;
  if (options.onOutcome && countsInMetrics(message) && (step.status === "sent" || step.status === "delivered" || step.status === "failed")) {
    const channel = (step.channel ?? channels[step.channelIndex] ?? channels[0]) as Channel;
    await options.onOutcome({
      messageId,
      clinicId: message.clinicId,
      appointmentId: message.appointmentId,
      start: (message.context as TemplateContext).start,
      timeZone: (message.context as TemplateContext).timeZone,
      channel,
      outcome: step.status === "failed" ? "failed" : "delivered",
    });
  }
  return final;
}

function icsFor(message: Notification): string {
  const ctx = message.context as TemplateContext;
  const ics = message.ics as { uid: string; sequence: number; method: "REQUEST" | "CANCEL" };
  return appointmentIcs({
    uid: ics.uid,
    sequence: ics.sequence,
    method: ics.method,
    start: ctx.start,
    end: ctx.end,
    summary: `${ctx.typeName} — ${ctx.clinicName}`,
    description: ctx.doctorName ? `${ctx.typeName} with ${ctx.doctorName}` : ctx.typeName,
    ...(ctx.clinicAddress ? { location: ctx.clinicAddress } : {}),
  });
}

/** The scheduled dispatcher: sends every message of the region that has come due. */
export async function dispatchDue(db: Db, regionId: string, options: DispatchOptions & { limit?: number }): Promise<number> {
  // Strictly before the next millisecond: the sort key is dueAt#messageId, so `lte(now)` would
  // leave out what is due exactly now.
  const until = new Date(options.now() + 1).toISOString();
  const { data } = await db.notificationDue.query
    .byRegion({ regionId })
    .lt({ dueAt: until })
    .go({ limit: options.limit ?? 100 });
  let sent = 0;
  for (const due of data) {
    try {
      if (await dispatch(db, due.messageId, options)) sent++;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  return sent;
}

/** A patient's messages, newest first (the delivery log). */
export async function messagesOf(db: Db, patientId: string, limit = 50): Promise<Notification[]> {
  const { data } = await db.notification.query.byRecipient({ patientId }).go({ order: "desc", limit });
  return data;
}

/** The caller's notification preferences and whether they are still the defaults. */
export async function getPreferences(db: Db, patientId: string, regionId: string) {
  const patient = await requirePatient(db, patientId);
  const region = await db.region.get({ regionId }).go();
  const preferences = preferencesOf(patient, region.data?.defaultTimeZone ?? "UTC");
  return { preferences, isDefault: !notificationPreferencesSchema.safeParse(patient.notificationPreferences).success, email: patient.email };
}

export async function setPreferences(db: Db, patientId: string, preferences: NotificationPreferences) {
  const patient = await requirePatient(db, patientId);
  // patch: only an existing profile (a condition on its key), never a half-made one.
  await db.patient.patch({ patientId }).set({ notificationPreferences: notificationPreferencesSchema.parse(preferences) }).go();
  return { preferences, isDefault: false, email: patient.email };
}

async function requirePatient(db: Db, patientId: string): Promise<Patient> {
  const found = await db.patient.get({ patientId }).go();
  if (!found.data) throw new NotFoundError("Patient profile", undefined, "PATIENT_NOT_FOUND");
  return found.data;
}

/**
 * What the e-mail provider reported later about a message it accepted (SES's delivery, bounce
 * and complaint events): `delivered`, or `bounced` — a permanent bounce moves the message on to
 * the patient's next channel, due at once, as a permanent send failure would have. Reports
 * about a message that has moved on (another channel, a later state) change nothing.
 */
export async function recordEmailFeedback(
  db: Db,
  feedback: { messageId: string; outcome: "delivered" | "bounced" | "complained"; detail: string },
  options: DispatchOptions,
): Promise<Notification | undefined> {
  const { messageId } = feedback;
  const message = (await db.notification.get({ messageId }).go()).data;
  if (!message || message.channel !== "email" || (message.status !== "sent" && message.status !== "delivered")) return undefined;
  const now = options.now();
  const at = new Date(now).toISOString();
  if (feedback.outcome !== "bounced") {
    if (feedback.outcome === "delivered" && message.status === "delivered") return message;
    const result = await db.service.transaction
      .write(({ notification }) => [
        notification
          .patch({ messageId })
          .set({ status: "delivered", log: [...message.log, { at, status: feedback.outcome, channel: "email", detail: feedback.detail }], version: message.version + 1, updatedAt: at })
          .where((a, op) => op.eq(a.version, message.version))
          .commit(),
      ])
      .go();
    return result.canceled ? undefined : (await db.notification.get({ messageId }).go()).data ?? undefined;
  }
  const next = message.channelIndex + 1;
  const fallback = next < message.channels.length;
  const result = await db.service.transaction
    .write(({ notification, notificationDue }) => [
      notification
        .patch({ messageId })
        .set({
          status: fallback ? "queued" : "bounced",
          channelIndex: fallback ? next : message.channelIndex,
          attempts: 0,
          log: [...message.log, { at, status: "bounced", channel: "email", detail: feedback.detail }],
          version: message.version + 1,
          updatedAt: at,
          ...(fallback ? { dueAt: at } : {}),
        })
        .where((a, op) => op.eq(a.version, message.version))
        .commit(),
      ...(fallback ? [notificationDue.put({ regionId: message.regionId, dueAt: at, messageId }).commit()] : []),
    ])
    .go();
  if (result.canceled) return undefined;
  if (options.onOutcome && countsInMetrics(message)) {
    const ctx = message.context as TemplateContext;
    await options.onOutcome({ messageId, clinicId: message.clinicId, appointmentId: message.appointmentId, start: ctx.start, timeZone: ctx.timeZone, channel: "email", outcome: "failed" });
  }
  return fallback ? dispatch(db, messageId, options) : (await db.notification.get({ messageId }).go()).data ?? undefined;
}
