/**
 * Push: to a browser's Web Push subscription directly (web-push.ts), else — native apps —
 * through SNS platform endpoints. With `MessageStructure: "json"` each platform
 * gets its own payload (a JSON string per key): FCM in the HTTP v1 shape (`fcmV1Message`),
 * APNs (production and sandbox) as an `aps.alert`, and `default` for any other platform.
 */
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { WEB_PUSH_PREFIX, type OutgoingMessage } from "@carebook/core/notifications/delivery";
import { awsAdapter, type ChannelAdapter } from "./adapter";
import { snsErrorRules } from "./sns-errors";
import { sendWebPush, type VapidKeys } from "./web-push";

export interface PushChannelOptions {
  client: SNSClient;
  /** The VAPID keys for Web Push, read when a web push address is sent to (none: such
   * addresses are refused as not configured). */
  webPush?: () => Promise<VapidKeys | undefined>;
}

export function pushPayload(message: OutgoingMessage): Record<string, string> {
  const { title, body } = message.push ?? { title: message.subject, body: message.text };
  const data = { messageId: message.messageId, channel: "carebook" };
  const apns = JSON.stringify({ aps: { alert: { title, body }, sound: "default" }, ...data });
  return {
    default: body,
    GCM: JSON.stringify({ fcmV1Message: { message: { notification: { title, body }, data, android: { priority: "high" } } } }),
    APNS: apns,
    APNS_SANDBOX: apns,
  };
}

export function pushRequest(message: OutgoingMessage) {
  return new PublishCommand({ TargetArn: message.to, MessageStructure: "json", Message: JSON.stringify(pushPayload(message)) });
}

export function pushChannel(options: PushChannelOptions): ChannelAdapter {
  const sns = awsAdapter("push", snsErrorRules, (message) => options.client.send(pushRequest(message)));
  return {
    channel: "push",
    send: async (message) => (message.to.startsWith(WEB_PUSH_PREFIX) ? sendWebPush(message, await options.webPush?.()) : sns.send(message)),
  };
}
