/**
 * Connections and their topics in the one table (realtime/entities.ts): registered on $connect,
 * subscribed and unsubscribed by the client's messages, removed on $disconnect or when a push
 * finds the connection gone (410), and listed per topic by the fan-out — one Query per topic.
 */
import type { Db, RealtimeConnection } from "../entities";
import { BusinessRuleError, ConflictError, NotFoundError } from "../errors";
import { CONNECTION_TTL_SECONDS, identityTopics, MAX_SLOT_SUBSCRIPTIONS, slotsTopic, type Topic } from "./topics";

export interface NewConnection {
  connectionId: string;
  sub: string;
  roles: readonly string[];
  /** Staff clinics (doctor, nurse, admin with an active staff record); empty for anyone else. */
  clinicIds: readonly string[];
  now: number;
}

const epochSeconds = (ms: number) => Math.floor(ms / 1000);

/** Registers a connection and puts it in its identity topics (its user's, its clinics'). */
export async function registerConnection(db: Db, input: NewConnection): Promise<RealtimeConnection> {
  const expiresAt = epochSeconds(input.now) + CONNECTION_TTL_SECONDS;
  const topics = identityTopics({ sub: input.sub, clinicIds: input.clinicIds });
  // The topic items first: a connection item exists only once all of them do (a failure here
  // refuses the connection; what was written expires).
  const { unprocessed } = await db.realtimeSubscription
    .put(topics.map((topic) => ({ topic, connectionId: input.connectionId, expiresAt })))
    .go();
  if (unprocessed.length > 0) throw new Error(`registering ${input.connectionId}: ${unprocessed.length} topic items not written`);
  const connection: RealtimeConnection = {
    connectionId: input.connectionId,
    sub: input.sub,
    roles: [...input.roles],
    clinicIds: [...new Set(input.clinicIds)],
    identityTopics: topics,
    connectedAt: new Date(input.now).toISOString(),
    expiresAt,
  };
  await db.realtimeConnection.put(connection).go();
  return connection;
}

export async function getConnection(db: Db, connectionId: string): Promise<RealtimeConnection | undefined> {
  return (await db.realtimeConnection.get({ connectionId }).go({ consistent: true })).data ?? undefined;
}

/** Deletes a connection and every topic item of it. Whether there was one. Idempotent. */
export async function removeConnection(db: Db, connectionId: string): Promise<boolean> {
  const connection = await getConnection(db, connectionId);
  if (!connection) return false;
  const topics = [...connection.identityTopics, ...(connection.slotTopics ?? [])];
  if (topics.length > 0) {
    const { unprocessed } = await db.realtimeSubscription.delete(topics.map((topic) => ({ topic, connectionId }))).go();
    if (unprocessed.length > 0) throw new Error(`removing ${connectionId}: ${unprocessed.length} topic items not deleted`);
  }
  await db.realtimeConnection.delete({ connectionId }).go();
  return true;
}

/** The ids of the connections in a topic. */
export async function connectionsOf(db: Db, topic: Topic): Promise<string[]> {
  const { data } = await db.realtimeSubscription.query.byTopic({ topic }).go({ pages: "all", attributes: ["connectionId"] });
  return data.map((s) => s.connectionId);
}

const gone = (connectionId: string) =>
  new ConflictError("CONNECTION_GONE", "This connection is no longer registered; reconnect", { connectionId });

/**
 * Subscribes a connection to a clinic's day of slots. Any signed-in caller may watch any
 * active clinic's day. Idempotent; at most MAX_SLOT_SUBSCRIPTIONS per connection (422 beyond),
 * 404 for an unknown or inactive clinic. The connection's topic set and the topic item change
 * in one transaction, the set's size checked in it — so concurrent subscriptions cannot
 * exceed the bound.
 */
export async function subscribeSlots(db: Db, input: { connectionId: string; clinicId: string; date: string }): Promise<void> {
  const topic = slotsTopic(input.clinicId, input.date);
  const [connection, clinic] = await Promise.all([
    getConnection(db, input.connectionId),
    db.clinic.get({ clinicId: input.clinicId }).go(),
  ]);
  if (!clinic.data?.active) throw new NotFoundError("Clinic", { clinicId: input.clinicId });
  if (!connection) throw gone(input.connectionId);
  if (connection.slotTopics?.includes(topic)) return;
  if ((connection.slotTopics?.length ?? 0) >= MAX_SLOT_SUBSCRIPTIONS) throw tooMany();
  const result = await db.service.transaction
    .write((tx) => [
      tx.realtimeConnection
        .patch({ connectionId: input.connectionId })
        .add({ slotTopics: [topic] })
        // Parenthesised: ElectroDB ANDs it to the patch's own attribute_exists conditions.
        .where((attr, op) => `(${op.notExists(attr.slotTopics)} OR ${op.size(attr.slotTopics)} < ${op.escape(MAX_SLOT_SUBSCRIPTIONS)})`)
        .commit(),
      tx.realtimeSubscription.put({ topic, connectionId: input.connectionId, expiresAt: connection.expiresAt }).commit(),
    ])
    .go();
  if (result.canceled) {
    // Gone meanwhile, or full (another subscription won the last place), or a conflict.
    const now = await getConnection(db, input.connectionId);
    if (!now) throw gone(input.connectionId);
    if (now.slotTopics?.includes(topic)) return;
    if ((now.slotTopics?.length ?? 0) >= MAX_SLOT_SUBSCRIPTIONS) throw tooMany();
    throw new ConflictError("REQUEST_CONFLICT", "The connection was being changed by another message; try again");
  }
}

function tooMany() {
  return new BusinessRuleError(
    "TOO_MANY_SUBSCRIPTIONS",
    `A connection may watch at most ${MAX_SLOT_SUBSCRIPTIONS} clinic days; unsubscribe from one first`,
    { max: MAX_SLOT_SUBSCRIPTIONS },
  );
}

/** Ends a subscription. Idempotent: unsubscribing what was never subscribed is no error. */
export async function unsubscribeSlots(db: Db, input: { connectionId: string; clinicId: string; date: string }): Promise<void> {
  const topic = slotsTopic(input.clinicId, input.date);
  await db.realtimeSubscription.delete({ topic, connectionId: input.connectionId }).go();
  try {
    // patch: only if the connection still exists (a delete from a set that lacks it is a no-op).
    await db.realtimeConnection.patch({ connectionId: input.connectionId }).delete({ slotTopics: [topic] }).go();
  } catch (error) {
    if ((error as { cause?: { name?: string } }).cause?.name !== "ConditionalCheckFailedException") throw error;
  }
}
