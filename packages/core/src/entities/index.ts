import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity, Service, type EntityItem } from "electrodb";
import { metricsDaySchema, receiptSchema } from "../metrics/entities";
import { notificationDueSchema, notificationSchema } from "../notifications/entities";
import { auditChainDaySchema, auditChainHeadSchema, auditChainLinkSchema, auditChainMarkSchema } from "../audit/entities";
import { archivedAppointmentSchema } from "../archive/entities";
import { realtimeConnectionSchema, realtimeSubscriptionSchema } from "../realtime/entities";

/**
 * ElectroDB entities on the one table (see ./table.ts for the indexes).
 *
 * Access patterns, next to the entity that serves them:
 * - region        byId                      settings of a Carebook region (= one deployment stage)
 * - clinic        byId; byRegion (gsi1)     a clinic; the clinics of a region
 * - appointmentType byId; byRegion (gsi1)   a type; the bookable types of a region
 * - doctor        byId; byRegion (gsi1)     a doctor; the doctors of a region (slot search filters by clinic/skill)
 * - patient       byId; byEmail (gsi1)      a patient's profile (id = identity provider `sub`)
 * - leave         byId; byStaff (gsi1, start); byRegion (gsi2, start)  staff leave and its decision
 * - staffMember   byId; byRegion (gsi1)     a staff account (id = staff pool `sub`): its roles, the clinics
 *                                           it works for (the "own clinic" of the authorization matrix)
 *                                           and, for a doctor, the doctor record it is
 * - appointment   byId; byPatient (gsi1, by start); byRegionTime (gsi2, by start); byDoctor (gsi3, by start)
 * - claim         byId (resource, unit)     "this doctor/patient is taken for this 5-minute unit" —
 *                                           created with attribute_not_exists, so two bookings can
 *                                           never hold the same unit: the double-booking guarantee
 * - auditEntry    bySubject (subject, at); byActor (gsi1, actor, at); byClinic (gsi2, clinic, at)
 *                                           who changed (or, staff, read) what, written in the same
 *                                           transaction as the change; chained afterwards per clinic
 *                                           and UTC day by the audit-chain stream consumer
 * - auditChainHead/Link/Mark/Day            the hash chain over the audit entries (audit/entities.ts)
 * - hold          byRegion (region, expiry) the pending appointments holding time, by hold expiry
 *                                           (the sweeper reads the expired ones)
 * - screening     byClinic (clinic, state, queued) the nurses' pre-screening queue
 * - notification, notificationDue           messages to patients and their delivery log (notifications/entities.ts)
 * - metricsDay, receipt                     admin metrics aggregates; "applied once" markers (metrics/entities.ts)
 * - archivedAppointment byId                where an archived appointment's record is (archive/entities.ts)
 * - realtimeConnection, realtimeSubscription WebSocket connections and their topics (realtime/entities.ts)
 * - domainEvent   byAppointment (appointment, at) events written in the same transaction as the change
 *                                           that caused them (an outbox; the events issue publishes them)
 */
const service = "carebook";

const stringList = { type: "list", items: { type: "string" } } as const;

/** Of region, clinic, appointmentType and doctor: when an administrator last changed the item
 * (UTC ISO with ms, strictly increasing per item) — the optimistic-concurrency token of the
 * admin catalog updates (admin/*.ts). Absent on items never edited since they were seeded. */
const catalogUpdatedAt = { type: "string" } as const;

export const regionSchema = {
  model: { entity: "region", version: "1", service },
  attributes: {
    regionId: { type: "string", required: true },
    name: { type: "string", required: true },
    /** The AWS region the data of this Carebook region lives in (data residency). */
    awsRegion: { type: "string", required: true },
    defaultTimeZone: { type: "string", required: true },
    /** How long a finished or cancelled appointment stays in the table before it is archived
     * (moved to the archive bucket by TTL; archive/retention.ts). */
    retentionDays: { type: "number", required: true, default: 90 },
    /** Minutes before the start at which reminders go out (used by the reminders workflow). */
    reminderOffsetsMinutes: { type: "list", items: { type: "number" }, required: true },
    updatedAt: catalogUpdatedAt,
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["regionId"] }, sk: { field: "sk", composite: [] } },
  },
} as const;

export const clinicSchema = {
  model: { entity: "clinic", version: "1", service },
  attributes: {
    clinicId: { type: "string", required: true },
    regionId: { type: "string", required: true },
    name: { type: "string", required: true },
    timeZone: { type: "string", required: true },
    address: {
      type: "map",
      required: true,
      properties: {
        line1: { type: "string", required: true },
        city: { type: "string", required: true },
        postcode: { type: "string", required: true },
        country: { type: "string", required: true },
      },
    },
    phone: { type: "string" },
    active: { type: "boolean", required: true, default: true },
    updatedAt: catalogUpdatedAt,
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["clinicId"] }, sk: { field: "sk", composite: [] } },
    byRegion: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["regionId"] },
      sk: { field: "gsi1sk", composite: ["clinicId"] },
    },
  },
} as const;

export const appointmentTypeSchema = {
  model: { entity: "appointmentType", version: "1", service },
  attributes: {
    typeId: { type: "string", required: true },
    regionId: { type: "string", required: true },
    name: { type: "string", required: true },
    description: { type: "string" },
    durationMinutes: { type: "number", required: true },
    bufferBeforeMinutes: { type: "number", required: true, default: 0 },
    bufferAfterMinutes: { type: "number", required: true, default: 0 },
    minimumNoticeMinutes: { type: "number", required: true, default: 0 },
    bookingHorizonDays: { type: "number", required: true, default: 365 },
    requiresPrescreening: { type: "boolean", required: true, default: false },
    /** PrescreeningConfig (prescreening/config.ts): questionnaire and time limits, validated with zod. */
    prescreening: { type: "any" },
    /** Minutes before the start at which reminders go out; the region's list when absent. */
    reminderOffsetsMinutes: { type: "list", items: { type: "number" } },
    requiredSkill: { type: "string" },
    active: { type: "boolean", required: true, default: true },
    updatedAt: catalogUpdatedAt,
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["typeId"] }, sk: { field: "sk", composite: [] } },
    byRegion: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["regionId"] },
      sk: { field: "gsi1sk", composite: ["typeId"] },
    },
  },
} as const;

export const doctorSchema = {
  model: { entity: "doctor", version: "1", service },
  attributes: {
    doctorId: { type: "string", required: true },
    regionId: { type: "string", required: true },
    name: { type: "string", required: true },
    /** Staff identity (`sub`) of the doctor, when they have an account. */
    userSub: { type: "string" },
    clinicIds: { ...stringList, required: true },
    skills: { ...stringList, required: true },
    /** BCP-47 primary language tags, e.g. "en", "pl". */
    languages: { ...stringList, required: true },
    /** WeeklyTemplate (schedule/types.ts), validated with zod before it is written. */
    template: { type: "any", required: true },
    /** DateOverride[] (schedule/types.ts). */
    overrides: { type: "any", required: true, default: () => [] },
    /** Approved leave: Absence[] (schedule/types.ts), UTC intervals in which the doctor takes no
     * appointments. */
    absences: { type: "any" },
    /** Bumped by every change of template, overrides or absences; every booking checks it in
     * its transaction (appointment/tx.ts `scheduleCheckItem`). Absent = never changed. */
    scheduleVersion: { type: "number" },
    active: { type: "boolean", required: true, default: true },
    updatedAt: catalogUpdatedAt,
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["doctorId"] }, sk: { field: "sk", composite: [] } },
    byRegion: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["regionId"] },
      sk: { field: "gsi1sk", composite: ["doctorId"] },
    },
  },
} as const;

export const patientSchema = {
  model: { entity: "patient", version: "1", service },
  attributes: {
    patientId: { type: "string", required: true },
    regionId: { type: "string", required: true },
    name: { type: "string", required: true },
    email: { type: "string", required: true },
    phone: { type: "string" },
    preferredLanguage: { type: "string", required: true, default: "en" },
    /** References only — the patient's insurance and their record at the clinic's own system;
     * Carebook keeps no medical content. */
    insuranceRef: { type: "string" },
    medicalRecordRef: { type: "string" },
    updatedAt: { type: "string" },
    /** NotificationPreferences (notifications/preferences.ts), validated with zod; absent = defaults. */
    notificationPreferences: { type: "any" },
    createdAt: { type: "string", required: true },
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["patientId"] }, sk: { field: "sk", composite: [] } },
    /** Support finds the patient who calls them by e-mail (lower-cased at sign-up). */
    byEmail: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["email"] },
      sk: { field: "gsi1sk", composite: ["patientId"] },
    },
  },
} as const;

export const staffRoles = ["doctor", "nurse", "admin", "support"] as const;

export const staffMemberSchema = {
  model: { entity: "staffMember", version: "1", service },
  attributes: {
    /** The staff user pool's `sub`. */
    sub: { type: "string", required: true },
    regionId: { type: "string", required: true },
    name: { type: "string", required: true },
    email: { type: "string", required: true },
    /** Mirrors the user's Cognito groups; the token's groups decide what a request may do. */
    roles: { ...stringList, required: true },
    /** Clinics this member works for: nurses and admins see these clinics' data. */
    clinicIds: { ...stringList, required: true },
    /** For a doctor: the doctor record (doctorId) this account is. */
    doctorId: { type: "string" },
    active: { type: "boolean", required: true, default: true },
    /** When an administrator last changed the record (UTC ISO with ms): the update's condition. */
    updatedAt: { type: "string" },
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["sub"] }, sk: { field: "sk", composite: [] } },
    byRegion: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["regionId"] },
      sk: { field: "gsi1sk", composite: ["sub"] },
    },
  },
} as const;

export const leaveStatuses = ["requested", "approved", "rejected", "cancelled"] as const;

/** A doctor's or nurse's leave: requested by them, decided by an admin of their clinics. */
export const leaveSchema = {
  model: { entity: "leave", version: "1", service },
  attributes: {
    leaveId: { type: "string", required: true },
    regionId: { type: "string", required: true },
    staffSub: { type: "string", required: true },
    staffName: { type: "string", required: true },
    role: { type: ["doctor", "nurse"] as const, required: true },
    /** The doctor record the leave takes out of the schedule (doctors only). */
    doctorId: { type: "string" },
    /** The requester's clinics when asked: which admins decide. */
    clinicIds: { ...stringList, required: true },
    /** [start, end) as UTC ISO instants; `from`/`to` as the requester gave them. */
    start: { type: "string", required: true },
    end: { type: "string", required: true },
    from: { type: "string", required: true },
    to: { type: "string", required: true },
    timeZone: { type: "string", required: true },
    reason: { type: "string", required: true },
    status: { type: leaveStatuses, required: true },
    requestedAt: { type: "string", required: true },
    decidedAt: { type: "string" },
    decidedBy: { type: "string" },
    decisionNote: { type: "string" },
    /** After approval: what happened to the affected appointments (ReassignOutcome); absent
     * until the re-assignment finished (a repeated approval finishes it). */
    outcome: { type: "any" },
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["leaveId"] }, sk: { field: "sk", composite: [] } },
    byStaff: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["staffSub"] },
      sk: { field: "gsi1sk", composite: ["start", "leaveId"] },
    },
    byRegion: {
      index: "gsi2",
      pk: { field: "gsi2pk", composite: ["regionId"] },
      sk: { field: "gsi2sk", composite: ["start", "leaveId"] },
    },
  },
} as const;

export const appointmentStatuses = [
  "pending",
  "booked",
  "arrived",
  "fulfilled",
  "cancelled",
  "noshow",
] as const;
export type AppointmentStatus = (typeof appointmentStatuses)[number];

export const appointmentSchema = {
  model: { entity: "appointment", version: "1", service },
  attributes: {
    appointmentId: { type: "string", required: true },
    regionId: { type: "string", required: true },
    clinicId: { type: "string", required: true },
    typeId: { type: "string", required: true },
    patientId: { type: "string", required: true },
    doctorId: { type: "string", required: true },
    /** Denormalised so a patient's list needs no doctor lookups. */
    doctorName: { type: "string", required: true },
    status: { type: appointmentStatuses, required: true },
    /** UTC ISO-8601 without milliseconds ("2026-03-30T08:00:00Z"): sorts as it reads. */
    start: { type: "string", required: true },
    end: { type: "string", required: true },
    /** The doctor's time taken, buffers included — what the doctor claims cover. */
    blockStart: { type: "string", required: true },
    blockEnd: { type: "string", required: true },
    timeZone: { type: "string", required: true },
    reason: { type: "string" },
    assignment: {
      type: "map",
      required: true,
      properties: {
        rule: { type: ["continuity", "language", "least-loaded", "kept"] as const, required: true },
        explanation: { type: "string", required: true },
        candidates: { type: "number", required: true },
      },
    },
    version: { type: "number", required: true },
    history: {
      type: "list",
      required: true,
      items: {
        type: "map",
        properties: {
          at: { type: "string", required: true },
          action: { type: "string", required: true },
          by: { type: "string", required: true },
          status: { type: "string", required: true },
          start: { type: "string" },
          doctorId: { type: "string" },
          note: { type: "string" },
        },
      },
    },
    cancelReason: { type: "string" },
    /** Set when the doctor can no longer see the patient then and no other doctor is free: the
     * patient is asked to pick another time ({ reason, at, offers: [{start,end}] }); cleared by
     * the reschedule. */
    needsReschedule: { type: "any" },
    /** Set on completion: a reference to the clinical notes in the clinic's own record system
     * (Carebook keeps no medical content). */
    notesRef: { type: "string" },
    /** While `pending`: when the hold lapses (UTC ISO). An expired hold no longer blocks anyone. */
    holdExpiresAt: { type: "string" },
    /** PrescreeningState (prescreening/state.ts) of a type that requires pre-screening. */
    prescreening: { type: "any" },
    /** The waiting workflow's task token and what it waits for. Never leaves the server. */
    taskToken: { type: "string" },
    taskTokenStage: { type: ["answers", "decision"] as const },
    createdAt: { type: "string", required: true },
    updatedAt: { type: "string", required: true },
    /** TTL (epoch seconds, the table's `timeToLiveAttribute`): set when the appointment ends
     * (archive/retention.ts `archiveAfter`); DynamoDB deletes it after, and the archival
     * consumer writes it to the archive. Absent while the appointment is open. */
    expiresAt: { type: "number" },
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["appointmentId"] }, sk: { field: "sk", composite: [] } },
    byPatient: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["patientId"] },
      sk: { field: "gsi1sk", composite: ["start", "appointmentId"] },
    },
    byRegionTime: {
      index: "gsi2",
      pk: { field: "gsi2pk", composite: ["regionId"] },
      sk: { field: "gsi2sk", composite: ["start", "appointmentId"] },
    },
    byDoctor: {
      index: "gsi3",
      pk: { field: "gsi3pk", composite: ["doctorId"] },
      sk: { field: "gsi3sk", composite: ["start", "appointmentId"] },
    },
  },
} as const;

export const claimSchema = {
  model: { entity: "claim", version: "1", service },
  attributes: {
    /** "doctor#<id>" or "patient#<id>" */
    resource: { type: "string", required: true },
    /** UTC ISO start of the 5-minute unit */
    unit: { type: "string", required: true },
    appointmentId: { type: "string", required: true },
    /** TTL (epoch seconds): a claim is only meaningful until its unit has passed. */
    expiresAt: { type: "number", required: true },
    /** Claims of a hold (a pending appointment): epoch ms after which another booking may take
     * the unit over. Absent on a confirmed booking's claims. */
    holdUntil: { type: "number" },
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["resource", "unit"] }, sk: { field: "sk", composite: [] } },
  },
} as const;

export const auditEntrySchema = {
  model: { entity: "auditEntry", version: "1", service },
  attributes: {
    auditId: { type: "string", required: true },
    subjectType: { type: "string", required: true },
    subjectId: { type: "string", required: true },
    clinicId: { type: "string", required: true },
    action: { type: "string", required: true },
    actorId: { type: "string", required: true },
    actorRole: { type: "string", required: true },
    at: { type: "string", required: true },
    details: { type: "any" },
  },
  indexes: {
    bySubject: {
      pk: { field: "pk", composite: ["subjectType", "subjectId"] },
      sk: { field: "sk", composite: ["at", "auditId"] },
    },
    /** "What did this user do": the admin audit query by actor. */
    byActor: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["actorId"] },
      sk: { field: "gsi1sk", composite: ["at", "auditId"] },
    },
    /** "What happened at this clinic": the admin audit query by clinic, and the chain verifier's
     * way to find entries that never got chained. */
    byClinic: {
      index: "gsi2",
      pk: { field: "gsi2pk", composite: ["clinicId"] },
      sk: { field: "gsi2sk", composite: ["at", "auditId"] },
    },
  },
} as const;

export const holdSchema = {
  model: { entity: "hold", version: "1", service },
  attributes: {
    regionId: { type: "string", required: true },
    /** UTC ISO: sorts as it reads, so the sweeper asks for "expiry < now". */
    holdExpiresAt: { type: "string", required: true },
    appointmentId: { type: "string", required: true },
    clinicId: { type: "string", required: true },
  },
  indexes: {
    byRegion: {
      pk: { field: "pk", composite: ["regionId"] },
      sk: { field: "sk", composite: ["holdExpiresAt", "appointmentId"] },
    },
  },
} as const;

export const screeningStates = ["pending"] as const;

export const screeningSchema = {
  model: { entity: "screening", version: "1", service },
  attributes: {
    clinicId: { type: "string", required: true },
    /** "pending": answered, waiting for a nurse's decision. */
    state: { type: screeningStates, required: true },
    /** When the answers came in (UTC ISO): the queue is served oldest first. */
    queuedAt: { type: "string", required: true },
    appointmentId: { type: "string", required: true },
    regionId: { type: "string", required: true },
    typeId: { type: "string", required: true },
    start: { type: "string", required: true },
    patientId: { type: "string", required: true },
    patientName: { type: "string", required: true },
    slaDueAt: { type: "string", required: true },
    decideBy: { type: "string", required: true },
    escalatedAt: { type: "string" },
    calledPatientAt: { type: "string" },
  },
  indexes: {
    byClinic: {
      pk: { field: "pk", composite: ["clinicId"] },
      sk: { field: "sk", composite: ["state", "queuedAt", "appointmentId"] },
    },
  },
} as const;

export const domainEventSchema = {
  model: { entity: "domainEvent", version: "1", service },
  attributes: {
    /** Deterministic where a retry could write it twice (e.g. a reminder), else random. */
    eventId: { type: "string", required: true },
    type: { type: "string", required: true },
    /** Version of the event's detail schema. */
    schemaVersion: { type: "number", required: true },
    appointmentId: { type: "string", required: true },
    clinicId: { type: "string", required: true },
    regionId: { type: "string", required: true },
    occurredAt: { type: "string", required: true },
    detail: { type: "any", required: true },
  },
  indexes: {
    byAppointment: {
      pk: { field: "pk", composite: ["appointmentId"] },
      sk: { field: "sk", composite: ["occurredAt", "eventId"] },
    },
  },
} as const;

export function createDb(client: DynamoDBDocumentClient, table: string) {
  const config = { client, table };
  const entities = {
    region: new Entity(regionSchema, config),
    clinic: new Entity(clinicSchema, config),
    appointmentType: new Entity(appointmentTypeSchema, config),
    doctor: new Entity(doctorSchema, config),
    patient: new Entity(patientSchema, config),
    staffMember: new Entity(staffMemberSchema, config),
    leave: new Entity(leaveSchema, config),
    appointment: new Entity(appointmentSchema, config),
    claim: new Entity(claimSchema, config),
    auditEntry: new Entity(auditEntrySchema, config),
    auditChainHead: new Entity(auditChainHeadSchema, config),
    auditChainLink: new Entity(auditChainLinkSchema, config),
    auditChainMark: new Entity(auditChainMarkSchema, config),
    auditChainDay: new Entity(auditChainDaySchema, config),
    hold: new Entity(holdSchema, config),
    screening: new Entity(screeningSchema, config),
    domainEvent: new Entity(domainEventSchema, config),
    notification: new Entity(notificationSchema, config),
    notificationDue: new Entity(notificationDueSchema, config),
    metricsDay: new Entity(metricsDaySchema, config),
    receipt: new Entity(receiptSchema, config),
    archivedAppointment: new Entity(archivedAppointmentSchema, config),
    realtimeConnection: new Entity(realtimeConnectionSchema, config),
    realtimeSubscription: new Entity(realtimeSubscriptionSchema, config),
  };
  const carebook = new Service(entities, config);
  return { ...entities, service: carebook, client, table };
}

export type Db = ReturnType<typeof createDb>;
export type Region = EntityItem<Db["region"]>;
export type Clinic = EntityItem<Db["clinic"]>;
export type AppointmentType = EntityItem<Db["appointmentType"]>;
export type Doctor = EntityItem<Db["doctor"]>;
export type Patient = EntityItem<Db["patient"]>;
export type StaffMember = EntityItem<Db["staffMember"]>;
export type Leave = EntityItem<Db["leave"]>;
export type MetricsDay = EntityItem<Db["metricsDay"]>;
export type Appointment = EntityItem<Db["appointment"]>;
export type Claim = EntityItem<Db["claim"]>;
export type AuditEntry = EntityItem<Db["auditEntry"]>;
export type AuditChainHead = EntityItem<Db["auditChainHead"]>;
export type AuditChainLink = EntityItem<Db["auditChainLink"]>;
export type AuditChainMark = EntityItem<Db["auditChainMark"]>;
export type AuditChainDay = EntityItem<Db["auditChainDay"]>;
export type Hold = EntityItem<Db["hold"]>;
export type Screening = EntityItem<Db["screening"]>;
export type DomainEvent = EntityItem<Db["domainEvent"]>;
export type Notification = EntityItem<Db["notification"]>;
export type NotificationDue = EntityItem<Db["notificationDue"]>;
export type RealtimeConnection = EntityItem<Db["realtimeConnection"]>;
