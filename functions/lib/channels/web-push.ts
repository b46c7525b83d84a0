/**
 * Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) to a browser's push
 * service — the installed web app's push channel. SNS has no Web Push platform, so this sends
 * directly: the `web-push` library builds the encrypted request, fetch posts it. The payload is
 * what the service worker shows (packages/web/src/sw.ts).
 */
import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import webpush from "web-push";
import { DeliveryError, webPushSubscriptionOf, type OutgoingMessage } from "@carebook/core/notifications/delivery";
import { logger } from "../logger";
import type { SendResult } from "./adapter";

/**
 * The VAPID key pair. Locally: the environment variables below, which the runtime fills from keys
 * it makes on first start (packages/local/src/web-push.ts). Deployed: two SecureString parameters
 * of the stage, where `npx sst secrets set WEB_PUSH_PUBLIC_KEY|WEB_PUSH_PRIVATE_KEY … --stage <s>`
 * writes them (SST's path: `webPushParameterName`); the functions that send push or serve the
 * public key are given the parameters' names (…_PARAMETER) and may read exactly those.
 *
 * Read here, lazily, rather than through SST's `bind`: a bound secret that was never set makes
 * SST's runtime throw when the function starts, so every notification of a stage without Web
 * Push keys would fail. Here a key not set means web push is not configured (the push-key route
 * answers null, and a web push address falls through to the patient's next channel).
 */
export const WEB_PUSH_SECRETS = { publicKey: "WEB_PUSH_PUBLIC_KEY", privateKey: "WEB_PUSH_PRIVATE_KEY" } as const;
export const WEB_PUSH_PUBLIC_KEY_ENV = "CAREBOOK_WEB_PUSH_PUBLIC_KEY";
export const WEB_PUSH_PRIVATE_KEY_ENV = "CAREBOOK_WEB_PUSH_PRIVATE_KEY";
export const WEB_PUSH_PARAMETER_ENV = {
  publicKey: "CAREBOOK_WEB_PUSH_PUBLIC_KEY_PARAMETER",
  privateKey: "CAREBOOK_WEB_PUSH_PRIVATE_KEY_PARAMETER",
} as const;
/** A contact for push services to reach the sender: "mailto:…" or an https URL. */
export const WEB_PUSH_SUBJECT_ENV = "CAREBOOK_WEB_PUSH_SUBJECT";

/** Where `sst secrets set <secret> … --stage <stage>` keeps a secret of SST app `app` (SST v2). */
export const webPushParameterName = (app: string, stage: string, secret: string) => `/sst/${app}/${stage}/Secret/${secret}/value`;

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

type KeyName = keyof typeof WEB_PUSH_PARAMETER_ENV;
type StoredKeys = Partial<Record<KeyName, string>>;

let ssm: SSMClient | undefined;
/** Per container, by the parameters' names: what a successful read found (keys set later reach new containers). */
const stored = new Map<string, Promise<StoredKeys>>();

/** The keys in the stage's parameters, as far as they are set; {} when they cannot be read (logged). */
async function storedKeys(env: NodeJS.ProcessEnv): Promise<StoredKeys> {
  const names = Object.entries(WEB_PUSH_PARAMETER_ENV).flatMap(([key, variable]) => (env[variable] ? [[key as KeyName, env[variable]!] as const] : []));
  if (names.length === 0) return {};
  const cacheKey = JSON.stringify(names);
  let read = stored.get(cacheKey);
  if (!read) {
    ssm ??= new SSMClient({});
    read = ssm
      .send(new GetParametersCommand({ Names: names.map(([, name]) => name), WithDecryption: true }))
      // A name that is not set comes back in InvalidParameters, not as an error.
      .then(({ Parameters = [] }) =>
        Object.fromEntries(names.flatMap(([key, name]) => {
          const value = Parameters.find((p) => p.Name === name)?.Value;
          return value ? [[key, value]] : [];
        })),
      );
    stored.set(cacheKey, read);
    // Unreadable (throttled, denied): not remembered, so the next call tries again.
    read.catch(() => stored.delete(cacheKey));
  }
  try {
    return await read;
  } catch (error) {
    logger.warn("Web Push keys could not be read; web push is off for this call", { error: error instanceof Error ? error.message : String(error) });
    return {};
  }
}

/** The stage's VAPID public key (what browsers subscribe with), or undefined without one. */
export async function webPushPublicKey(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return env[WEB_PUSH_PUBLIC_KEY_ENV] || (await storedKeys(env)).publicKey;
}

/** The key pair and contact to send with, or undefined when the stage has no keys (web push is then not configured). */
export async function vapidKeysFrom(env: NodeJS.ProcessEnv = process.env): Promise<VapidKeys | undefined> {
  const fromEnv = env[WEB_PUSH_PUBLIC_KEY_ENV] && env[WEB_PUSH_PRIVATE_KEY_ENV];
  const { publicKey, privateKey } = fromEnv
    ? { publicKey: env[WEB_PUSH_PUBLIC_KEY_ENV], privateKey: env[WEB_PUSH_PRIVATE_KEY_ENV] }
    : await storedKeys(env);
  if (!publicKey || !privateKey) return undefined;
  return { publicKey, privateKey, subject: env[WEB_PUSH_SUBJECT_ENV] || "mailto:operations@carebook.invalid" };
}

/** What the service worker receives. */
export function webPushPayload(message: OutgoingMessage) {
  const { title, body } = message.push ?? { title: message.subject, body: message.text };
  return { title, body, messageId: message.messageId };
}

/** Push services answer 404/410 for a subscription that is gone, other 4xx for a request they will never take. */
function failure(status: number, text: string): DeliveryError {
  const transient = status === 429 || status >= 500;
  const code = status === 404 || status === 410 ? "SubscriptionGone" : `PushService${status}`;
  return new DeliveryError(`push: web push answered ${status}: ${text.slice(0, 200)}`, { permanent: !transient, code });
}

export async function sendWebPush(
  message: OutgoingMessage,
  keys: VapidKeys | undefined,
  fetchImpl: typeof fetch = fetch,
): Promise<SendResult> {
  const subscription = webPushSubscriptionOf(message.to);
  if (!subscription) throw new DeliveryError("push: not a web push subscription", { permanent: true, code: "InvalidAddress" });
  if (!keys) throw new DeliveryError("push: web push keys are not configured", { permanent: true, code: "WebPushNotConfigured" });
  const request = webpush.generateRequestDetails(subscription, JSON.stringify(webPushPayload(message)), {
    vapidDetails: keys,
    // A reminder that arrives a day late is worse than none.
    TTL: 24 * 3600,
    urgency: "high",
  });
  let response: Response;
  try {
    response = await fetchImpl(request.endpoint, {
      method: request.method,
      headers: request.headers as Record<string, string>,
      body: request.body ?? undefined,
    });
  } catch (error) {
    throw new DeliveryError(`push: web push service unreachable: ${(error as Error).message}`, { permanent: false, code: "Network", cause: error });
  }
  if (!response.ok) throw failure(response.status, await response.text().catch(() => ""));
  return { providerMessageId: response.headers.get("location") ?? "", status: "sent" };
}
