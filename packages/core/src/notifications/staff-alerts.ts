/**
 * Alerts for clinic staff, on the patients' notification pipeline (messages.ts): one
 * `notification` item per event and staff member (audience "staff"), created conditionally, so
 * a re-delivered event alerts nobody twice; sent, retried and taken over by the same dispatcher.
 *
 * `PreScreeningEscalated`: the nurse SLA passed without a decision, and the workflow now waits
 * for the final deadline (`decideBy`), after which the hold is released and the patient told
 * "the clinic could not review your questionnaire in time". Those who can still prevent that are
 * the ones the decision route lets decide — the clinic's nurses and admins — which is the
 * event's `audience`: every active staff member of the event's clinic with one of those roles.
 *
 * Staff have no notification preferences and no contacts other than their staff record's
 * e-mail, so an alert goes by e-mail, at once (urgent: the deadline is hours away at most, and
 * quiet hours are a patient preference). It says what a nurse needs to act and no more than
 * that (templates.ts `StaffAlertContext`: clinic, visit type, time, deadline, the queue's path —
 * no patient name); the queue, behind sign-in and audited, has the rest.
 */
import type { Db, Notification, StaffMember } from "../entities";
import type { ReceivedEvent } from "../events/bus";
import { eventSchemas } from "../events/schemas";
import { prescreeningStateSchema } from "../prescreening/state";
import { toUtcIso } from "../schedule/slots";
import { enqueue, type DispatchOptions } from "./messages";
import type { Language, StaffAlertContext, StaffMessageKind } from "./templates";

/** The web app's page of the pre-screening queue (packages/web/src/App.tsx), for nurses and admins. */
export const PRESCREENING_QUEUE_PATH = "/staff/prescreening";

/** Countries whose clinics get their staff alerts in German; every other clinic, English.
 * (Staff records carry no language; the clinic's country is the best guess we have.) */
const GERMAN_SPEAKING = new Set(["DE", "AT", "LI"]);

export function staffLanguageFor(country: string | undefined): Language {
  return GERMAN_SPEAKING.has((country ?? "").toUpperCase()) ? "de" : "en";
}

/** Who an alert for `audience` at `clinicId` goes to: active members of that clinic with one of those roles. */
export function staffAudience(members: readonly StaffMember[], clinicId: string, audience: readonly string[]): StaffMember[] {
  return members
    .filter((m) => m.active !== false && m.clinicIds.includes(clinicId) && m.roles.some((r) => audience.includes(r)))
    .sort((a, b) => a.sub.localeCompare(b.sub));
}

/** `<eventId>:<kind>:<sub>`: one alert per event and staff member, so a re-delivery finds it. */
export const staffMessageId = (eventId: string, kind: StaffMessageKind, sub: string) => `${eventId}:${kind}:${sub}`;

/**
 * Plans and sends the staff alerts an event calls for (none for any other event). Returns the
 * messages as stored — the existing ones when the event was seen before.
 */
export async function alertStaffForEvent(db: Db, event: ReceivedEvent, options: DispatchOptions): Promise<Notification[]> {
  if (event.type !== "PreScreeningEscalated") return [];
  const kind: StaffMessageKind = "prescreening-escalated";
  const detail = eventSchemas.PreScreeningEscalated.detail.parse(event.detail);

  const [appointment, clinic, staff] = await Promise.all([
    db.appointment.get({ appointmentId: event.appointmentId }).go({ consistent: true }),
    db.clinic.get({ clinicId: event.clinicId }).go(),
    db.staffMember.query.byRegion({ regionId: event.regionId }).go({ pages: "all" }),
  ]);
  const a = appointment.data;
  const state = a?.prescreening === undefined ? undefined : prescreeningStateSchema.safeParse(a.prescreening).data;
  // Only while this overdue period lasts: decided, released, or (call-patient) given a new SLA
  // since, the alert would send staff to a queue item that no longer needs them. A first
  // delivery that finds it so plans nothing; a re-delivery finds what the first one planned.
  if (!a || a.status !== "pending" || state?.state !== "awaiting-decision" || state.slaDueAt !== detail.slaDueAt) return [];

  const type = await db.appointmentType.get({ typeId: a.typeId }).go();
  const language = staffLanguageFor(clinic.data?.address?.country);
  const now = options.now();
  const at = new Date(now).toISOString();
  const messages: Notification[] = [];
  for (const member of staffAudience(staff.data, event.clinicId, detail.audience)) {
    const context: StaffAlertContext = {
      staffName: member.name,
      clinicName: clinic.data?.name ?? event.clinicId,
      typeName: type.data?.name ?? a.typeId,
      start: detail.start,
      // A held appointment does not move, but the event's time is the one to show: keep the duration.
      end: toUtcIso(Date.parse(detail.start) + Date.parse(a.end) - Date.parse(a.start)),
      timeZone: a.timeZone,
      slaDueAt: detail.slaDueAt,
      decideBy: detail.decideBy,
      queuePath: PRESCREENING_QUEUE_PATH,
    };
    messages.push(
      await enqueue(
        db,
        {
          messageId: staffMessageId(event.eventId, kind, member.sub),
          eventId: event.eventId,
          kind,
          audience: "staff",
          patientId: member.sub,
          regionId: event.regionId,
          clinicId: event.clinicId,
          appointmentId: event.appointmentId,
          urgent: true,
          language,
          channels: ["email"],
          channelIndex: 0,
          attempts: 0,
          status: "queued",
          context,
          contacts: { email: member.email },
          dueAt: at,
          log: [{ at, status: "queued" }],
          version: 1,
          createdAt: at,
          updatedAt: at,
        },
        options,
      ),
    );
  }
  return messages;
}
