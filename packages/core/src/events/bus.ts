/**
 * Domain events on the EventBridge bus. The publisher (functions/events/publish.ts) turns each
 * committed outbox item (`domainEvent`) into one bus entry; consumers get it back as an
 * EventBridge event and read it with `readBusEvent`.
 *
 * On the bus: `source` is EVENT_SOURCE, `detail-type` the event type ("AppointmentBooked"),
 * `time` when it happened, and `detail` the outbox item itself — `eventId` (the id consumers
 * deduplicate on: the bus's own `id` differs each time an event is published again),
 * `type`, `schemaVersion`, `appointmentId`, `clinicId`, `regionId`, `occurredAt` and the
 * type's `detail`.
 */
import type { DomainEvent } from "../entities";
import { eventSchemas, type EventDetail, type EventType } from "./schemas";

export const EVENT_SOURCE = "carebook.appointments";

/** An EventBridge event as a target (Lambda) receives it. */
export interface BusEvent<D = unknown> {
  version: string;
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: D;
}

/** A PutEvents request entry (the fields we use). */
export interface BusEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Time: Date;
  EventBusName: string;
}

export function toBusEntry(item: DomainEvent, eventBusName: string): BusEntry {
  return {
    Source: EVENT_SOURCE,
    DetailType: item.type,
    Detail: JSON.stringify(item),
    Time: new Date(item.occurredAt),
    EventBusName: eventBusName,
  };
}

/** A domain event read back from the bus, its detail checked against its type's schema. */
export type ReceivedEvent<T extends EventType = EventType> = Omit<DomainEvent, "type" | "detail"> & {
  type: T;
  detail: EventDetail<T>;
};

export class UnreadableEvent extends Error {
  override name = "Carebook.UnreadableEvent";
}

/** Validates a bus event: known source and type, the schema version this code reads, a detail
 * that fits. Throws UnreadableEvent otherwise (a consumer sends it to its dead-letter queue). */
export function readBusEvent(event: BusEvent): ReceivedEvent {
  if (event.source !== EVENT_SOURCE) throw new UnreadableEvent(`unexpected source ${event.source}`);
  const item = event.detail as DomainEvent;
  const type = item?.type as EventType;
  const schema = eventSchemas[type];
  if (!schema || type !== event["detail-type"]) throw new UnreadableEvent(`unknown event type ${event["detail-type"]}`);
  if (item.schemaVersion !== schema.version) {
    throw new UnreadableEvent(`${type} v${item.schemaVersion}: this code reads v${schema.version}`);
  }
  const parsed = schema.detail.safeParse(item.detail);
  if (!parsed.success) throw new UnreadableEvent(`${type}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  if (!item.eventId || !item.appointmentId || !item.clinicId || !item.regionId || !item.occurredAt) {
    throw new UnreadableEvent(`${type}: envelope incomplete`);
  }
  return { ...item, type, detail: parsed.data } as ReceivedEvent;
}

/** Narrows a received event to one type. */
export function isEvent<T extends EventType>(event: ReceivedEvent, type: T): event is ReceivedEvent<T> {
  return event.type === type;
}
