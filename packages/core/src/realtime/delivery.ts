/**
 * Delivering pushes (topics.ts `pushesFor`) to the connections of their topics: one Query per
 * topic, each message once per connection, sent through `send` (the management API's
 * PostToConnection, given by the caller). A connection API Gateway no longer knows (410 Gone)
 * is removed with its topics.
 *
 * At least once, on purpose without receipts: a repeated event (EventBridge retries, a
 * re-published outbox item) pushes the same messages again, which clients absorb — a `slots`
 * message makes them re-fetch a day, an `appointment` message carries the state it reports.
 * A failed send to one connection (throttled, a transient error) is counted, not retried: the
 * event is over by then for that screen, and failing the event would repeat every other push.
 */
import type { Db } from "../entities";
import { connectionsOf, removeConnection } from "./connections";
import type { Push } from "./topics";

export type Send = (connectionId: string, data: string) => Promise<"sent" | "gone">;

export interface DeliveryResult {
  sent: number;
  /** Connections found gone (and removed). */
  gone: string[];
  failed: number;
  /** The first failures' messages (for the log). */
  errors: string[];
}

/** Sends at most this many messages at once. */
const CONCURRENCY = 16;

export async function deliver(db: Db, pushes: readonly Push[], send: Send): Promise<DeliveryResult> {
  const topics = [...new Set(pushes.flatMap((p) => p.topics))];
  const members = new Map(await Promise.all(topics.map(async (topic) => [topic, await connectionsOf(db, topic)] as const)));
  const sends = pushes.flatMap((push) => {
    const data = JSON.stringify(push.message);
    const connections = new Set(push.topics.flatMap((topic) => members.get(topic) ?? []));
    return [...connections].map((connectionId) => ({ connectionId, data }));
  });
  const result: DeliveryResult = { sent: 0, gone: [], failed: 0, errors: [] };
  const gone = new Set<string>();
  let next = 0;
  const worker = async () => {
    while (next < sends.length) {
      const { connectionId, data } = sends[next++]!;
      if (gone.has(connectionId)) continue;
      try {
        if ((await send(connectionId, data)) === "gone") gone.add(connectionId);
        else result.sent++;
      } catch (error) {
        result.failed++;
        if (result.errors.length < 5) result.errors.push(`${connectionId}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, sends.length) }, worker));
  for (const connectionId of gone) await removeConnection(db, connectionId);
  result.gone = [...gone];
  return result;
}
