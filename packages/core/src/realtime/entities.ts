/**
 * The real-time entities (registered in createDb): who is connected to the WebSocket API, and
 * which topics each connection listens to.
 *
 * Access patterns:
 * - realtimeConnection   byId (connection)        a connection: its caller (sub, roles, clinics),
 *                                                 the topics it is in — what $disconnect (or a
 *                                                 410 Gone) deletes, and what bounds subscriptions
 * - realtimeSubscription byTopic (topic, connection)  the connections of a topic: the fan-out's
 *                                                 ONE Query per topic (`user#<sub>`,
 *                                                 `clinic#<clinicId>`, `slots#<clinicId>#<date>`)
 *
 * Keys keep their case (`casing: "none"`): API Gateway's connection ids are case-sensitive
 * base64, and two of them may differ in case only. Both expire by TTL (`expiresAt`) a while
 * after API Gateway's own limit on a connection's life, so an id whose $disconnect never ran
 * (API Gateway delivers it best-effort) leaves nothing behind for long.
 */
const service = "carebook";

const stringList = { type: "list", items: { type: "string" } } as const;

export const realtimeConnectionSchema = {
  model: { entity: "realtimeConnection", version: "1", service },
  attributes: {
    connectionId: { type: "string", required: true },
    /** The caller's `sub` (identity pool user). */
    sub: { type: "string", required: true },
    roles: { ...stringList, required: true },
    /** For staff (doctor, nurse, admin) with an active staff record: its clinics. */
    clinicIds: { ...stringList, required: true },
    /** The topics the connection joined because of who it is (`user#…`, `clinic#…`). */
    identityTopics: { ...stringList, required: true },
    /** The `slots#…` topics it subscribed to (at most MAX_SLOT_SUBSCRIPTIONS). */
    slotTopics: { type: "set", items: "string" },
    connectedAt: { type: "string", required: true },
    /** TTL (epoch seconds). */
    expiresAt: { type: "number", required: true },
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["connectionId"], casing: "none" }, sk: { field: "sk", composite: [] } },
  },
} as const;

export const realtimeSubscriptionSchema = {
  model: { entity: "realtimeSubscription", version: "1", service },
  attributes: {
    topic: { type: "string", required: true },
    connectionId: { type: "string", required: true },
    /** TTL (epoch seconds): the connection's. */
    expiresAt: { type: "number", required: true },
  },
  indexes: {
    byTopic: {
      pk: { field: "pk", composite: ["topic"], casing: "none" },
      sk: { field: "sk", composite: ["connectionId"], casing: "none" },
    },
  },
} as const;
