/**
 * The push channel's Web Push path: the request a browser's push service gets is encrypted for
 * that browser's keys (decrypted here as the browser would), signed with VAPID, and the push
 * service's answers become delivery errors that say whether a retry can help. Native-app
 * addresses still go to SNS.
 */
import { createECDH, randomBytes } from "node:crypto";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import ece from "http_ece";
import webpush from "web-push";
import { describe, expect, it } from "vitest";
import { addressFor, DeliveryError, webPushAddress, webPushSubscriptionOf, type OutgoingMessage } from "@carebook/core/notifications/delivery";
import { notificationPreferencesSchema } from "@carebook/core/notifications/preferences";
import { pushChannel } from "../../functions/lib/channels/push";
import { sendWebPush, vapidKeysFrom, webPushPublicKey } from "../../functions/lib/channels/web-push";

function browserKeys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  const subscription = {
    endpoint: "https://push.example.test/send/abc123",
    keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") },
  };
  return { ecdh, auth, subscription };
}

const vapid = { ...webpush.generateVAPIDKeys(), subject: "mailto:ops@carebook.test" };

function message(to: string): OutgoingMessage {
  return {
    messageId: "m-1",
    channel: "push",
    recipientId: "p-1",
    to,
    language: "en",
    subject: "Your appointment",
    text: "long text",
    push: { title: "Booked", body: "Mon 29 Mar, 10:00 with Dr Hughes" },
  };
}

describe("web push", () => {
  it("posts a payload only the subscribed browser can read, signed with the stage's VAPID key", async () => {
    const { ecdh, auth, subscription } = browserKeys();
    let seen: { url: string; init: RequestInit } | undefined;
    const fetchImpl = (async (url: string, init: RequestInit) => {
      seen = { url, init };
      return new Response(null, { status: 201, headers: { location: "https://push.example.test/m/42" } });
    }) as unknown as typeof fetch;

    const result = await sendWebPush(message(webPushAddress(subscription)), vapid, fetchImpl);
    expect(result).toEqual({ providerMessageId: "https://push.example.test/m/42", status: "sent" });
    expect(seen!.url).toBe(subscription.endpoint);
    const headers = seen!.init.headers as Record<string, string>;
    expect(headers["Content-Encoding"]).toBe("aes128gcm");
    expect(String(headers.TTL)).toBe(String(24 * 3600));
    expect(headers.Authorization).toMatch(new RegExp(`^vapid t=.+, k=${vapid.publicKey}$`));
    const plain = ece.decrypt(seen!.init.body as Buffer, { version: "aes128gcm", privateKey: ecdh, authSecret: auth.toString("base64url") });
    expect(JSON.parse(plain.toString("utf8"))).toEqual({ title: "Booked", body: "Mon 29 Mar, 10:00 with Dr Hughes", messageId: "m-1" });
  });

  it.each([
    [410, true, "SubscriptionGone"],
    [404, true, "SubscriptionGone"],
    [413, true, "PushService413"],
    [429, false, "PushService429"],
    [503, false, "PushService503"],
  ])("a push service answer %i is a %s delivery error", async (status, permanent, code) => {
    const { subscription } = browserKeys();
    const fetchImpl = (async () => new Response("nope", { status })) as unknown as typeof fetch;
    const error = await sendWebPush(message(webPushAddress(subscription)), vapid, fetchImpl).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ permanent, code });
  });

  it("an unreachable push service is worth a retry; missing keys are not", async () => {
    const to = webPushAddress(browserKeys().subscription);
    const unreachable = (async () => {
      throw new TypeError("fetch failed");
    }) as unknown as typeof fetch;
    await expect(sendWebPush(message(to), vapid, unreachable)).rejects.toMatchObject({ permanent: false, code: "Network" });
    await expect(sendWebPush(message(to), undefined)).rejects.toMatchObject({ permanent: true, code: "WebPushNotConfigured" });
  });

  it("the push channel sends web push addresses directly and native endpoints through SNS", async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: "sns-1" });
    const channel = pushChannel({ client: new SNSClient({ region: "eu-west-1" }), webPush: async () => undefined });
    const arn = "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/carebook/0a1b2c3d-0000-1111-2222-333344445555";
    expect(await channel.send(message(arn))).toEqual({ providerMessageId: "sns-1", status: "sent" });
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.TargetArn).toBe(arn);
    // Not configured for web push: refused as such, SNS never called.
    await expect(channel.send(message(webPushAddress(browserKeys().subscription)))).rejects.toMatchObject({ code: "WebPushNotConfigured" });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    sns.restore();
  });

  it("a patient's subscription is their push address unless a native app registered an endpoint", () => {
    const { subscription } = browserKeys();
    const to = addressFor("push", { webPush: subscription });
    expect(webPushSubscriptionOf(to!)).toEqual(subscription);
    const arn = "arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/carebook/0a1b2c3d-0000-1111-2222-333344445555";
    expect(addressFor("push", { webPush: subscription, pushEndpointArn: arn })).toBe(arn);
    expect(webPushSubscriptionOf(arn)).toBeUndefined();
    expect(webPushSubscriptionOf("webpush:{not json")).toBeUndefined();
  });

  it("preferences accept a browser subscription over https only", () => {
    const { subscription } = browserKeys();
    const base = { channels: ["push"], language: "en", quietHours: null, timeZone: "Europe/London" };
    expect(notificationPreferencesSchema.safeParse({ ...base, contacts: { webPush: subscription } }).success).toBe(true);
    const http = { ...subscription, endpoint: "http://push.example.test/send/abc" };
    expect(notificationPreferencesSchema.safeParse({ ...base, contacts: { webPush: http } }).success).toBe(false);
    const badKey = { ...subscription, keys: { ...subscription.keys, p256dh: "short" } };
    expect(notificationPreferencesSchema.safeParse({ ...base, contacts: { webPush: badKey } }).success).toBe(false);
  });
});

describe("the stage's Web Push keys (SSM parameters where `sst secrets set` writes them)", () => {
  // Names differ per test: what a container read successfully is kept for its life.
  let n = 0;
  const stageEnv = () => {
    n += 1;
    return {
      CAREBOOK_WEB_PUSH_PUBLIC_KEY_PARAMETER: `/sst/carebook/t${n}/Secret/WEB_PUSH_PUBLIC_KEY/value`,
      CAREBOOK_WEB_PUSH_PRIVATE_KEY_PARAMETER: `/sst/carebook/t${n}/Secret/WEB_PUSH_PRIVATE_KEY/value`,
      CAREBOOK_WEB_PUSH_SUBJECT: "mailto:no-reply@carebook.test",
    };
  };

  it("reads both once, decrypted, and signs with them", async () => {
    const ssm = mockClient(SSMClient);
    const env = stageEnv();
    ssm.on(GetParametersCommand).resolves({
      Parameters: [
        { Name: env.CAREBOOK_WEB_PUSH_PUBLIC_KEY_PARAMETER, Value: vapid.publicKey },
        { Name: env.CAREBOOK_WEB_PUSH_PRIVATE_KEY_PARAMETER, Value: vapid.privateKey },
      ],
    });
    expect(await vapidKeysFrom(env)).toEqual({ publicKey: vapid.publicKey, privateKey: vapid.privateKey, subject: "mailto:no-reply@carebook.test" });
    expect(await webPushPublicKey(env)).toBe(vapid.publicKey);
    const calls = ssm.commandCalls(GetParametersCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toMatchObject({ WithDecryption: true });
    ssm.restore();
  });

  it("treats keys that were never set as no web push (not as a failure)", async () => {
    const ssm = mockClient(SSMClient);
    const env = stageEnv();
    ssm.on(GetParametersCommand).resolves({ Parameters: [], InvalidParameters: [env.CAREBOOK_WEB_PUSH_PUBLIC_KEY_PARAMETER, env.CAREBOOK_WEB_PUSH_PRIVATE_KEY_PARAMETER] });
    expect(await vapidKeysFrom(env)).toBeUndefined();
    expect(await webPushPublicKey(env)).toBeUndefined();
    // A web push address then fails as not configured, which moves the message to the next channel.
    const channel = pushChannel({ client: new SNSClient({ region: "eu-west-1" }), webPush: () => vapidKeysFrom(env) });
    const { subscription } = browserKeys();
    await expect(channel.send(message(webPushAddress(subscription)))).rejects.toBeInstanceOf(DeliveryError);
    ssm.restore();
  });

  it("answers no keys while SSM cannot be read, and reads again on the next call", async () => {
    const ssm = mockClient(SSMClient);
    const env = stageEnv();
    ssm.on(GetParametersCommand).rejectsOnce(new Error("Rate exceeded")).resolves({
      Parameters: [
        { Name: env.CAREBOOK_WEB_PUSH_PUBLIC_KEY_PARAMETER, Value: vapid.publicKey },
        { Name: env.CAREBOOK_WEB_PUSH_PRIVATE_KEY_PARAMETER, Value: vapid.privateKey },
      ],
    });
    expect(await webPushPublicKey(env)).toBeUndefined();
    expect(await webPushPublicKey(env)).toBe(vapid.publicKey);
    expect(ssm.commandCalls(GetParametersCommand)).toHaveLength(2);
    ssm.restore();
  });

  it("prefers the local runtime's keys in the environment and never calls SSM for them", async () => {
    const ssm = mockClient(SSMClient);
    const env = { ...stageEnv(), CAREBOOK_WEB_PUSH_PUBLIC_KEY: vapid.publicKey, CAREBOOK_WEB_PUSH_PRIVATE_KEY: vapid.privateKey };
    expect((await vapidKeysFrom(env))?.privateKey).toBe(vapid.privateKey);
    expect(await webPushPublicKey(env)).toBe(vapid.publicKey);
    expect(ssm.commandCalls(GetParametersCommand)).toHaveLength(0);
    ssm.restore();
  });
});
