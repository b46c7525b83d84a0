/**
 * The events table: who reads the table's stream, and which bus rules feed which consumers —
 * declared once, like functions/routes.ts and functions/workflows/index.ts. The Events stack
 * deploys it (stream event-source mappings with these filters, the bus, one rule per
 * consumer with its pattern, a dead-letter queue per consumer); the local runtime reads
 * DynamoDB Local's stream with the same filters and routes events through the same patterns
 * with the project's matcher (packages/core/src/events/pattern.ts). Pure data.
 */
import { EVENT_SOURCE } from "@carebook/core/events/bus";
import { countedEventTypes } from "@carebook/core/metrics/aggregates";
import { realtimeEventTypes } from "@carebook/core/realtime/topics";
import type { EventPattern } from "@carebook/core/events/pattern";
import type { EventType } from "@carebook/core/events/schemas";
import type { TableAccess } from "../routes";
import type { WorkflowName } from "../workflows/index";

/** Environment variable holding the bus name (publisher) — set by the Events stack. */
export const EVENT_BUS_ENV = "CAREBOOK_EVENT_BUS";
/** Environment variable holding the archive bucket's name (archiver) — set by the Events stack. */
export const ARCHIVE_BUCKET_ENV = "CAREBOOK_ARCHIVE_BUCKET";

export type Channel = "email" | "sms" | "push";

/** A Lambda fed by the table's stream (an event-source mapping). */
export interface StreamConsumer {
  handler: string;
  table: TableAccess;
  description: string;
  /** Event-source-mapping filter criteria (EventBridge pattern syntax over the stream record,
   * as Lambda hands it over: `eventName`, `dynamodb.NewImage.<attr>.S`…). Any one matches. */
  filters: EventPattern[];
  /** Records per invocation. */
  batchSize: number;
  /** Puts events on the bus (events:PutEvents on it, and its name in EVENT_BUS_ENV). */
  publishes?: boolean;
  /** Writes objects to the archive bucket (s3:PutObject on its objects, and its name in ARCHIVE_BUCKET_ENV). */
  archives?: boolean;
  /** How long Lambda gathers records before invoking (the mapping's MaximumBatchingWindowInSeconds). */
  batchingWindowSeconds?: number;
}

/** A Lambda run on a schedule (EventBridge Scheduler/cron in AWS, a timer locally). */
export interface ScheduledFunction {
  handler: string;
  table: TableAccess;
  description: string;
  /** EventBridge schedule expression. */
  schedule: string;
  /** The same period, for the local timer. */
  periodMs: number;
  sends?: readonly Channel[];
}

/** A Lambda target of a bus rule. */
export interface EventConsumer {
  handler: string;
  table: TableAccess;
  description: string;
  /** The rule's event pattern. */
  pattern: EventPattern;
  /** Workflows it starts (states:StartExecution on exactly those). */
  starts?: readonly WorkflowName[];
  /** Channels it sends on (ses:SendEmail, sns:Publish). */
  sends?: readonly Channel[];
  /** The bus its rule listens on: Carebook's own (default), or the account's default bus, where
   * AWS services put their events (SES's delivery reports). */
  bus?: "default";
}

const appointmentEvents = (...types: EventType[]): EventPattern => ({ source: [EVENT_SOURCE], "detail-type": types });

/** `__edb_e__` is ElectroDB's entity-name attribute on every item. */
const inserted = (entity: string): EventPattern => ({
  eventName: ["INSERT"],
  dynamodb: { NewImage: { __edb_e__: { S: [entity] } } },
});

/**
 * DynamoDB's TTL deleting an item: a REMOVE whose `userIdentity` is the DynamoDB service (AWS
 * sets it on TTL deletions only; the local runtime marks them alike, packages/local/src/ttl.ts).
 */
const expired = (entity: string): EventPattern => ({
  eventName: ["REMOVE"],
  userIdentity: { type: ["Service"], principalId: ["dynamodb.amazonaws.com"] },
  dynamodb: { OldImage: { __edb_e__: { S: [entity] } } },
});

export const streamConsumers = {
  publisher: {
    handler: "functions/events/publish.handler",
    table: "none",
    description: "Publishes each committed domain event (outbox item) to the bus",
    filters: [inserted("domainEvent")],
    batchSize: 100,
    publishes: true,
  },
  auditChain: {
    handler: "functions/events/audit-chain.handler",
    table: "write",
    description: "Appends each inserted audit entry to its clinic-day's hash chain",
    filters: [inserted("auditEntry")],
    batchSize: 100,
  },
  archiver: {
    handler: "functions/events/archive.handler",
    // Reads which appointments are archived already, writes the pointers.
    table: "write",
    description: "Writes appointments removed by TTL to the archive bucket as JSON Lines, and a pointer per appointment",
    filters: [expired("appointment")],
    // Few, larger objects: S3 moves nothing under 128 KiB to Glacier (stacks/Storage.ts).
    batchSize: 500,
    batchingWindowSeconds: 300,
    archives: true,
  },
} as const satisfies Record<string, StreamConsumer>;

export const eventConsumers = {
  reminders: {
    handler: "functions/events/start-reminders.handler",
    table: "none",
    description: "Starts the reminders workflow of each booked (or rescheduled) appointment version",
    pattern: appointmentEvents("AppointmentBooked", "AppointmentRescheduled"),
    starts: ["reminders"],
  },
  notifications: {
    handler: "functions/events/notify.handler",
    table: "write",
    description: "Tells patients about their appointments on their preferred channels (one message per event), and a clinic's nurses and admins about an overdue pre-screening (one e-mail each)",
    pattern: appointmentEvents(
      "AppointmentBooked",
      "AppointmentRescheduled",
      "AppointmentCancelled",
      "PreScreeningRequested",
      "PreScreeningDecided",
      "ReminderDue",
      "EmergencyNotice",
      "AppointmentReassigned",
      "AppointmentNeedsReschedule",
      // For the clinic's staff (staff-alerts.ts), not the patient.
      "PreScreeningEscalated",
    ),
    sends: ["email", "sms", "push"],
  },
  emailFeedback: {
    handler: "functions/events/email-feedback.handler",
    table: "write",
    description: "Records SES's delivery, bounce and complaint reports in the delivery log; a bounce falls back to the next channel",
    bus: "default",
    pattern: { source: ["aws.ses"], "detail-type": ["Email Delivered", "Email Bounced", "Email Complaint Received"] },
    sends: ["email", "sms", "push"],
  },
  metrics: {
    handler: "functions/events/metrics.handler",
    table: "write",
    description: "Keeps the admin metrics' per-clinic, per-day aggregates (each event applied once)",
    pattern: appointmentEvents(...countedEventTypes),
  },
} as const satisfies Record<string, EventConsumer>;

/**
 * Bus consumers that push to the WebSocket API's connections (docs/realtime.md). Deployed by the
 * Realtime stack rather than Events — a rule on this bus, a Lambda target, a dead-letter queue,
 * as Events deploys its consumers — because they need what that stack creates: the management
 * endpoint (REALTIME_ENDPOINT_ENV) and `execute-api:ManageConnections` on that API only. The
 * Realtime stack comes after Events (it needs the bus), so Events cannot refer to the API. The
 * local runtime's bus delivers to these as to the others.
 */
export const pushConsumers = {
  realtime: {
    handler: "functions/realtime/fan-out.handler",
    // Reads topics, clinic time zones and appointments; deletes the items of gone connections.
    table: "write",
    description: "Pushes appointment status changes to their patient and clinic staff, and taken or freed slots to viewers of the clinic's day",
    pattern: appointmentEvents(...realtimeEventTypes),
  },
} as const satisfies Record<string, EventConsumer>;

export const scheduledFunctions = {
  notificationDispatcher: {
    handler: "functions/events/dispatch-notifications.handler",
    table: "write",
    description: "Sends the notifications that have come due (after quiet hours, retries, lapsed sends)",
    schedule: "rate(1 minute)",
    periodMs: 60_000,
    sends: ["email", "sms", "push"],
  },
} as const satisfies Record<string, ScheduledFunction>;

export type StreamConsumerName = keyof typeof streamConsumers;
export type EventConsumerName = keyof typeof eventConsumers;
export type ScheduledFunctionName = keyof typeof scheduledFunctions;
export type PushConsumerName = keyof typeof pushConsumers;

export function streamConsumerEntries(): Array<[StreamConsumerName, StreamConsumer]> {
  return Object.entries(streamConsumers) as Array<[StreamConsumerName, StreamConsumer]>;
}

export function scheduledFunctionEntries(): Array<[ScheduledFunctionName, ScheduledFunction]> {
  return Object.entries(scheduledFunctions) as Array<[ScheduledFunctionName, ScheduledFunction]>;
}

export function eventConsumerEntries(): Array<[EventConsumerName, EventConsumer]> {
  return Object.entries(eventConsumers) as Array<[EventConsumerName, EventConsumer]>;
}

export function pushConsumerEntries(): Array<[PushConsumerName, EventConsumer]> {
  return Object.entries(pushConsumers) as Array<[PushConsumerName, EventConsumer]>;
}

/** Every consumer of the bus, whichever stack deploys it (the local runtime's bus takes them all). */
export function busConsumerEntries(): Array<[EventConsumerName | PushConsumerName, EventConsumer]> {
  return [...eventConsumerEntries(), ...pushConsumerEntries()];
}
