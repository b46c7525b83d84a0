/**
 * The local channels' outbox over HTTP (local only):
 * - `GET /local/outbox?recipient=<patient id or address>&channel=email` — the messages sent,
 *   oldest first, each with its attachments (the .ics inline);
 * - `POST /local/outbox/faults {"channel": "sms", "permanent": true, "times": 1}` — the next
 *   sends on that channel fail (permanently: the message falls back to the next channel;
 *   transiently: it is retried later); `{"clear": true}` ends all faults;
 * - `POST /local/outbox/feedback {"messageId": "...", "outcome": "bounced"}` — what SES would
 *   report later about an e-mail (delivered, bounced, complained), put on the local default bus
 *   as SES puts it on the account's default bus.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { localFaults, readOutbox } from "../../../functions/lib/channels/local";
import { channels } from "@carebook/core/notifications/preferences";
import { MESSAGE_ID_TAG } from "../../../functions/lib/channels/ses";
import type { LocalBus } from "./events";

function reply(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

const faultSchema = z.union([
  z.strictObject({ clear: z.literal(true) }),
  z.strictObject({ channel: z.enum(channels), permanent: z.boolean(), times: z.number().int().min(1).max(1000) }),
]);

const feedbackSchema = z.strictObject({ messageId: z.string().min(1), outcome: z.enum(["delivered", "bounced", "complained"]) });

const sesDetailType = { delivered: "Email Delivered", bounced: "Email Bounced", complained: "Email Complaint Received" } as const;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}

export function outboxRoutes(dir: string, bus: LocalBus) {
  const faults = localFaults(dir);
  return {
    "GET /local/outbox": async (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      const query = new URL(req.url ?? "/", "http://local").searchParams;
      const channel = query.get("channel") ?? undefined;
      if (channel !== undefined && !(channels as readonly string[]).includes(channel)) {
        return reply(res, 400, { error: { code: "VALIDATION_FAILED", message: `channel must be one of ${channels.join(", ")}`, details: [] } });
      }
      const messages = await readOutbox(dir, { recipient: query.get("recipient") ?? undefined, channel: channel as (typeof channels)[number] | undefined });
      reply(res, 200, { messages });
    },
    "POST /local/outbox/faults": async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      let parsed;
      try {
        parsed = faultSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        return reply(res, 400, {
          error: { code: "VALIDATION_FAILED", message: 'expected {"channel": "email"|"sms"|"push", "permanent": boolean, "times": n} or {"clear": true}', details: [] },
        });
      }
      if ("clear" in parsed.data) faults.clear();
      else faults.fail(parsed.data.channel, { permanent: parsed.data.permanent, times: parsed.data.times });
      reply(res, 200, { ok: true });
    },
    "POST /local/outbox/feedback": async (req: IncomingMessage, res: ServerResponse) => {
      const parsed = feedbackSchema.safeParse(await readJson(req));
      if (!parsed.success) {
        return reply(res, 400, { error: { code: "VALIDATION_FAILED", message: 'expected {"messageId": "...", "outcome": "delivered"|"bounced"|"complained"}', details: [] } });
      }
      const { messageId, outcome } = parsed.data;
      const detail = {
        eventType: { delivered: "Delivery", bounced: "Bounce", complained: "Complaint" }[outcome],
        mail: { messageId: `local-${messageId}`, tags: { [MESSAGE_ID_TAG]: [Buffer.from(messageId, "utf8").toString("base64url")] } },
        ...(outcome === "bounced" ? { bounce: { bounceType: "Permanent", bounceSubType: "General" } } : {}),
        ...(outcome === "complained" ? { complaint: { complaintFeedbackType: "abuse" } } : {}),
      };
      const out = await bus.putEvents([{ Source: "aws.ses", DetailType: sesDetailType[outcome], Detail: JSON.stringify(detail), EventBusName: "default" }]);
      reply(res, 200, { eventId: out.Entries[0]?.EventId });
    },
  };
}
