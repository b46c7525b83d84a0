/**
 * The notification entities (registered in createDb):
 * - notification        byId; byRecipient (gsi1, by creation)  one message to one patient (or,
 *                       `audience` "staff", one alert to one staff member), with its delivery log
 *                       (queued → sending → sent/delivered | failed/bounced), the channel it is on,
 *                       and what it needs to be rendered again later
 * - notificationDue     byRegion (region, dueAt)  messages waiting for their time: the end of
 *                       quiet hours or the next retry. The dispatcher reads the due ones.
 */
const service = "carebook";

export const notificationStatuses = ["queued", "sending", "sent", "delivered", "failed", "bounced"] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

export const notificationSchema = {
  model: { entity: "notification", version: "1", service },
  attributes: {
    /** `<eventId>:<kind>`: one message per event and kind, so a re-delivered event adds nothing. */
    messageId: { type: "string", required: true },
    eventId: { type: "string", required: true },
    kind: { type: "string", required: true },
    /** The recipient: the patient — or, for a staff alert, the staff member's `sub` (the
     * attribute keeps its name: it is the byRecipient index's key on every stored message). */
    patientId: { type: "string", required: true },
    /** Who the message is for; absent (every message before staff alerts) means "patient".
     * Staff alerts render from the staff templates and are not counted in the patients'
     * delivery metrics. */
    audience: { type: ["patient", "staff"] as const },
    regionId: { type: "string", required: true },
    clinicId: { type: "string", required: true },
    appointmentId: { type: "string", required: true },
    urgent: { type: "boolean", required: true },
    language: { type: "string", required: true },
    /** Channels in the order to try them; `channelIndex` is the one in use. */
    channels: { type: "list", items: { type: "string" }, required: true },
    channelIndex: { type: "number", required: true },
    /** Failed tries on the current channel. */
    attempts: { type: "number", required: true },
    status: { type: notificationStatuses, required: true },
    /** The channel and provider id of the send that succeeded. */
    channel: { type: "string" },
    providerMessageId: { type: "string" },
    /** TemplateContext (templates.ts), plus the .ics fields: rendering happens at send time. */
    context: { type: "any", required: true },
    /** Contacts at the time the message was planned (e-mail, phone, push endpoint). */
    contacts: { type: "any", required: true },
    ics: { type: "any" },
    /** While queued: when to try (UTC ISO, ms). */
    dueAt: { type: "string" },
    /** While sending: another dispatcher may take it over after this (epoch ms). */
    leaseUntil: { type: "number" },
    log: {
      type: "list",
      required: true,
      items: {
        type: "map",
        properties: {
          at: { type: "string", required: true },
          status: { type: "string", required: true },
          channel: { type: "string" },
          detail: { type: "string" },
        },
      },
    },
    version: { type: "number", required: true },
    createdAt: { type: "string", required: true },
    updatedAt: { type: "string", required: true },
  },
  indexes: {
    byId: { pk: { field: "pk", composite: ["messageId"] }, sk: { field: "sk", composite: [] } },
    byRecipient: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["patientId"] },
      sk: { field: "gsi1sk", composite: ["createdAt", "messageId"] },
    },
  },
} as const;

export const notificationDueSchema = {
  model: { entity: "notificationDue", version: "1", service },
  attributes: {
    regionId: { type: "string", required: true },
    dueAt: { type: "string", required: true },
    messageId: { type: "string", required: true },
  },
  indexes: {
    byRegion: {
      pk: { field: "pk", composite: ["regionId"] },
      sk: { field: "sk", composite: ["dueAt", "messageId"] },
    },
  },
} as const;
