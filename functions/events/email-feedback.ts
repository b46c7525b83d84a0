/**
 * SES's reports on e-mails it accepted — delivered, bounced, complained — arriving as SES
 * events on the default EventBridge bus (the configuration set's event destination; the
 * Events stack wires it). Each names our message by its `carebook-message-id` tag. A bounce
 * moves the message on to the patient's next channel.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { z } from "zod";
import { recordEmailFeedback } from "@carebook/core/notifications/messages";
import { channelAdapters } from "../lib/channels/index";
import { MESSAGE_ID_TAG, messageIdFromTag } from "../lib/channels/ses";
import { dynamo } from "../lib/env";
import { logger } from "../lib/logger";
import { deliveryRecorder } from "../lib/notifications";

const SES_FEEDBACK_TYPES = ["Email Delivered", "Email Bounced", "Email Complaint Received"] as const;

const sesEvent = z.object({
  source: z.literal("aws.ses"),
  "detail-type": z.enum(SES_FEEDBACK_TYPES),
  detail: z.object({
    mail: z.object({ messageId: z.string(), tags: z.record(z.string(), z.array(z.string())).default({}) }),
    bounce: z.object({ bounceType: z.string(), bounceSubType: z.string().optional() }).optional(),
    complaint: z.object({ complaintFeedbackType: z.string().optional() }).optional(),
  }),
});

export const handler = middy(async (raw: unknown) => {
  const parsed = sesEvent.safeParse(raw);
  if (!parsed.success) {
    // Not ours to read (another kind of SES event): nothing to retry.
    logger.warn("ignored an unreadable SES event", { issues: parsed.error.issues.map((i) => i.message) });
    return;
  }
  const { detail } = parsed.data;
  const tag = detail.mail.tags[MESSAGE_ID_TAG]?.[0];
  if (!tag) return; // an e-mail Carebook did not send
  const outcome = parsed.data["detail-type"] === "Email Delivered" ? "delivered" : parsed.data["detail-type"] === "Email Bounced" ? "bounced" : "complained";
  const what = detail.bounce ? `${detail.bounce.bounceType}${detail.bounce.bounceSubType ? `/${detail.bounce.bounceSubType}` : ""}` : detail.complaint?.complaintFeedbackType ?? "";
  const { db } = dynamo();
  await recordEmailFeedback(
    db,
    { messageId: messageIdFromTag(tag), outcome, detail: `SES ${detail.mail.messageId}${what ? ` ${what}` : ""}` },
    { senders: channelAdapters(), now: Date.now, onOutcome: deliveryRecorder(db) },
  );
}).use(injectLambdaContext(logger));
