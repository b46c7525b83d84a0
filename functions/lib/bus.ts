import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { EVENT_BUS_ENV } from "../events/index";

let client: EventBridgeClient | undefined;

/** One EventBridge client per container. `CAREBOOK_EVENTS_ENDPOINT` is set by the local
 * runtime only (its bus speaks the same JSON protocol at /local/events). */
export function eventBridge(): EventBridgeClient {
  if (!client) {
    const endpoint = process.env.CAREBOOK_EVENTS_ENDPOINT;
    client = new EventBridgeClient(
      endpoint ? { endpoint, region: "local", credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {},
    );
  }
  return client;
}

export function eventBusName(): string {
  const name = process.env[EVENT_BUS_ENV];
  if (!name) throw new Error(`${EVENT_BUS_ENV} is not set`);
  return name;
}
