/**
 * SMS through SNS: a direct Publish to a phone number (no topic). "Transactional" asks SNS for
 * the reliable route — these are appointment messages, not marketing.
 */
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { OutgoingMessage } from "@carebook/core/notifications/delivery";
import { awsAdapter, type ChannelAdapter } from "./adapter";
import { snsErrorRules } from "./sns-errors";

export interface SmsChannelOptions {
  client: SNSClient;
  /** alphanumeric sender id where the destination country supports it */
  senderId?: string;
}

const attribute = (StringValue: string) => ({ DataType: "String", StringValue });

export function smsRequest(message: OutgoingMessage, options: Omit<SmsChannelOptions, "client"> = {}) {
  return new PublishCommand({
    PhoneNumber: message.to,
    Message: message.sms ?? message.text,
    MessageAttributes: {
      "AWS.SNS.SMS.SMSType": attribute("Transactional"),
      ...(options.senderId ? { "AWS.SNS.SMS.SenderID": attribute(options.senderId) } : {}),
    },
  });
}

export function smsChannel(options: SmsChannelOptions): ChannelAdapter {
  return awsAdapter("sms", snsErrorRules, (message) => options.client.send(smsRequest(message, options)));
}
