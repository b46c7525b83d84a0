/**
 * The channel adapters for this environment: the local outbox when the local runtime set
 * CAREBOOK_OUTBOX_DIR, else SES and SNS. Clients are created once per container and reused
 * across invocations (connection reuse); adapters are cheap.
 */
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Channel } from "../../events/index";
import type { ChannelAdapter } from "./adapter";
import { createLocalChannels } from "./local";
import { pushChannel } from "./push";
import { sesChannel } from "./ses";
import { smsChannel } from "./sms";
import { vapidKeysFrom } from "./web-push";

export type { ChannelAdapter, SendResult } from "./adapter";

export const OUTBOX_DIR_ENV = "CAREBOOK_OUTBOX_DIR";
export const EMAIL_FROM_ENV = "CAREBOOK_EMAIL_FROM";
export const EMAIL_CONFIGURATION_SET_ENV = "CAREBOOK_EMAIL_CONFIGURATION_SET";
export const SMS_SENDER_ID_ENV = "CAREBOOK_SMS_SENDER_ID";

let ses: SESv2Client | undefined;
let sns: SNSClient | undefined;

export function channelAdapters(env: NodeJS.ProcessEnv = process.env): Record<Channel, ChannelAdapter> {
  const outbox = env[OUTBOX_DIR_ENV];
  if (outbox) return createLocalChannels({ dir: outbox }).adapters;
  const from = env[EMAIL_FROM_ENV];
  if (!from) throw new Error(`${EMAIL_FROM_ENV} is not set`);
  ses ??= new SESv2Client({});
  sns ??= new SNSClient({});
  return {
    email: sesChannel({ client: ses, from, configurationSetName: env[EMAIL_CONFIGURATION_SET_ENV] || undefined }),
    sms: smsChannel({ client: sns, senderId: env[SMS_SENDER_ID_ENV] || undefined }),
    push: pushChannel({ client: sns, webPush: () => vapidKeysFrom(env) }),
  };
}
