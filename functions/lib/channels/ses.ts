/**
 * E-mail through SES (v2 API). This SDK version's `Content.Simple` takes `Attachments`, so the
 * invitation rides along as a text/calendar attachment and SES builds the MIME itself — no
 * hand-written multipart to get wrong. The message id goes into an EmailTag so bounce and
 * complaint events (via the configuration set) can be traced back to it.
 */
import { SendEmailCommand, type Attachment, type SESv2Client } from "@aws-sdk/client-sesv2";
import type { OutgoingMessage } from "@carebook/core/notifications/delivery";
import { awsAdapter, type ChannelAdapter, type ErrorRules } from "./adapter";

export interface SesChannelOptions {
  client: SESv2Client;
  /** verified sender, e.g. "Carebook <no-reply@clinic.example>" (CAREBOOK_EMAIL_FROM) */
  from: string;
  configurationSetName?: string;
}

/**
 * Permanent: the message or the account is refused — MessageRejected (content, or an unverified
 * recipient in the sandbox), an unverified MAIL FROM domain, a suspended or paused account, a
 * bad request, an unknown configuration set. Retrying in minutes does not fix any of these;
 * account-level ones need an operator, and meanwhile the patient is better served by SMS/push.
 * Transient: throttling, and LimitExceeded (the sending quota, which frees up again over time).
 */
export const sesErrorRules: ErrorRules = {
  permanent: new Set([
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "AccountSuspendedException",
    "SendingPausedException",
    "BadRequestException",
    "NotFoundException",
  ]),
  transient: new Set(["TooManyRequestsException", "LimitExceededException", "InternalServiceErrorException"]),
};

const utf8 = (Data: string) => ({ Data, Charset: "UTF-8" });
/** EmailTag values allow only ASCII letters, digits, "_" and "-". */
/** The tag naming our message on SES's delivery and bounce events. Tag values allow only
 * letters, digits, `_` and `-`: base64url keeps the id whole and reversible. */
export const MESSAGE_ID_TAG = "carebook-message-id";
const tagValue = (messageId: string) => Buffer.from(messageId, "utf8").toString("base64url");
export const messageIdFromTag = (value: string) => Buffer.from(value, "base64url").toString("utf8");

export function sesRequest(message: OutgoingMessage, options: Omit<SesChannelOptions, "client">) {
  const attachments: Attachment[] = (message.attachments ?? []).map((a) => ({
    FileName: a.filename,
    ContentType: a.contentType,
    ContentDisposition: "ATTACHMENT",
    RawContent: Buffer.from(a.content, "utf8"),
  }));
  return new SendEmailCommand({
    FromEmailAddress: options.from,
    Destination: { ToAddresses: [message.to] },
    Content: {
      Simple: {
        Subject: utf8(message.subject),
        Body: { Text: utf8(message.text), ...(message.html ? { Html: utf8(message.html) } : {}) },
        ...(attachments.length ? { Attachments: attachments } : {}),
      },
    },
    EmailTags: [{ Name: MESSAGE_ID_TAG, Value: tagValue(message.messageId) }],
    ...(options.configurationSetName ? { ConfigurationSetName: options.configurationSetName } : {}),
  });
}

export function sesChannel(options: SesChannelOptions): ChannelAdapter {
  return awsAdapter("email", sesErrorRules, (message) => options.client.send(sesRequest(message, options)));
}
